"""One module per screen of the citizen journeys."""
