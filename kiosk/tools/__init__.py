"""Tools that drive the real kiosk: the walkthrough (the one journey driver), the probe and the start-up measurement."""
