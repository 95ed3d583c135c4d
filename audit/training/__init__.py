"""Building and training the models an audit compares: the factory and the one non-private training loop.

* ``_factory``: the model factory (built-in MLP, bag-of-embeddings text model, or the user's
  ``module:function``), checked on a probe batch before any training; seeding;
* ``_loop``: the one non-private training loop with early stopping and automatic epochs, and the
  reference model's training through it.

The private model is trained by :mod:`audit.privacy` with the same factory, losses and early
stopping. The networks themselves, their outputs and losses live in :mod:`audit.models` (torch only,
which the dashboard imports without any of this).
"""

from audit.training._factory import build_model, model_factory, seed_everything
from audit.training._loop import (
    AUTO_EPOCHS,
    AUTO_STEPS,
    PATIENCE,
    EarlyStopping,
    auto_epochs,
    make_optimizer,
    ranking_criterion,
    train_loop,
    train_reference,
    validation_criterion,
)

__all__ = ["AUTO_EPOCHS", "AUTO_STEPS", "PATIENCE", "EarlyStopping", "auto_epochs", "build_model", "make_optimizer",
           "model_factory", "ranking_criterion", "seed_everything", "train_loop", "train_reference",
           "validation_criterion"]
