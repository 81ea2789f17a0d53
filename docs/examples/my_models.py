"""A user's own estimator, for docs/how-to/your-own-model.md: a factory returning a Pipeline."""

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures


def poly_logistic(degree=2, C=1.0):
    """Polynomial features of ``degree``, then a logistic regression with regularisation ``C``."""
    return Pipeline([("poly", PolynomialFeatures(degree)), ("model", LogisticRegression(C=C, max_iter=1000))])
