"""The train/test split of every data set here: stratified by class, seeded.

``stratified_split(X, y, test_size, random_state)`` is
``sklearn.model_selection.train_test_split(X, y, test_size=test_size, stratify=y,
random_state=random_state)``: each class keeps its share in both parts, and a seed gives the
same split on every machine.
"""

__all__ = ["check_test_size", "stratified_split"]


def check_test_size(test_size):
    """``test_size``, the fraction of samples in the test set, must be in (0, 1)."""
    if not (0 < test_size < 1):
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")


def stratified_split(X, y, test_size=0.2, random_state=0):
    """(X_train, X_test, y_train, y_test), stratified by the labels ``y``."""
    check_test_size(test_size)
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=test_size, stratify=y, random_state=random_state)
