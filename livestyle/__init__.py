"""livestyle: paint live webcam streams and video files in the style of a painting."""
__version__ = "0.1.0"
