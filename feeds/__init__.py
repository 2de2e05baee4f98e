"""feeds: aggregate local Jekyll posts and remote feeds, republish per-category Atom, RSS and JSON Feed."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/feeds-project/feeds"
USER_AGENT = f"feeds/{__version__} (+{PROJECT_URL})"
