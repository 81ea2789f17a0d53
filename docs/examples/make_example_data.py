"""Write the example data files of docs/how-to/your-own-model.md into the current folder: flowers.csv (iris with
a text column, a classification target) and diabetes.csv (a numeric target, for regression)."""

import numpy as np
from sklearn.datasets import load_diabetes, load_iris

frame = load_iris(as_frame=True).frame.rename(columns={"target": "species"})
frame["colour"] = np.random.default_rng(0).choice(["red", "green", "blue"], size=len(frame))
frame.to_csv("flowers.csv", index=False)
load_diabetes(as_frame=True).frame.to_csv("diabetes.csv", index=False)
print("wrote flowers.csv and diabetes.csv")
