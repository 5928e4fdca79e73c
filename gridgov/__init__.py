"""gridgov: party-building-led grid governance of urban communities (党建引领网格化基层治理)."""

__version__ = "0.1.0"
