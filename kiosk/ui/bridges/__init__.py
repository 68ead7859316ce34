"""Qt signal wrappers around the plain-thread workers (tasks, camera, printer, sender): where the GUI thread
meets them, one place."""
