"""The walkthrough: every citizen journey and the maintenance tour through the real widgets, with screenshots."""
