"""The window that holds the screens: header, stack, overlays, navigation, restyling and the idle countdown."""
