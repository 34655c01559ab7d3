"""Configuration: typed settings from the environment, and the Thai message catalog."""
