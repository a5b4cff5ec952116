"""churnlens: why are Nordic customers unhappy or leaving?"""

__version__ = "0.1.0"
