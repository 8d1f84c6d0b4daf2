"""The mail-sending web app's own code. Never imports the emulator."""
