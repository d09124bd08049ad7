"""A faithful, stateful local emulator of the AppStream (WorkSpaces Applications) API."""
