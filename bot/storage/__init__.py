"""Where the bot keeps state: Rasa's tracker store, without message text."""
