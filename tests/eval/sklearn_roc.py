#!/usr/bin/python3
"""scikit-learn's roc_curve and roc_auc_score, one class against the rest, on score sets that
trigml's sklearn_comparison_test saved as JSON (Debian has no pyarrow to read scores.parquet).

Input: {"sets": {NAME: {"classes": [...], "labels": [...], "probabilities": [[p per class]...]}}}
Output on stdout: {NAME: {CLASS: {"auc": a, "fpr": [...], "tpr": [...], "thresholds": [...],
"all": {"fpr": [...], "tpr": [...], "thresholds": [...]}}}}, "all" without dropped points.
"""
import json
import sys

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve


def curve(y_true, y_score, drop_intermediate):
    fpr, tpr, thresholds = roc_curve(y_true, y_score, drop_intermediate=drop_intermediate)
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thresholds.tolist()}


def main(path):
    with open(path) as f:
        sets = json.load(f)["sets"]
    results = {}
    for name, data in sets.items():
        labels = np.asarray(data["labels"], dtype=np.int32)
        # scores.parquet stores float32, so scikit-learn sees float32 scores.
        probabilities = np.asarray(data["probabilities"], dtype=np.float32)
        results[name] = {}
        for k, class_name in enumerate(data["classes"]):
            y_true = (labels == k).astype(np.int32)
            y_score = probabilities[:, k]
            result = curve(y_true, y_score, True)
            result["auc"] = float(roc_auc_score(y_true, y_score))
            result["all"] = curve(y_true, y_score, False)
            results[name][class_name] = result
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
