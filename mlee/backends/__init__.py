"""Implementations other than scikit-learn's: scikit-learn-intelex and PyTorch (registered in :data:`mlee.runs.methods.BACKENDS`)."""
