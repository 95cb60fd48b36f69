"""End-to-end tests of the Telegram bot against a Bot API emulator."""
