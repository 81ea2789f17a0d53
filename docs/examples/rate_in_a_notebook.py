"""What docs/how-to/your-own-model.md runs in a notebook: rate an estimator on X, y in one call."""

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

from mlee.notebook import rate_estimator

X, y = load_breast_cancer(return_X_y=True)
result = rate_estimator(RandomForestClassifier(n_estimators=20, random_state=0), X, y, name="RF, 20 trees",
                        repeats=2, monitor="estimate", dataset_name="Breast cancer")
print(result)                                  # one screen: compound letter, values, intervals, letters
print(result.compound)                         # {'inference': ..., 'training': ...}
print(result.values["inference"]["top1_val"], result.letters["inference"]["power_draw"])
print(result.label("rf_label.pdf"))            # the energy label; .svg works too
