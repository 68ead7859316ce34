"""Qt-free use cases: what the kiosk does for a citizen and a technician, whatever screen asks (DESIGN.md section 4)."""
