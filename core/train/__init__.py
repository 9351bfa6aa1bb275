"""The training engine of the training lab: layers with backward beside forward, PyTorch's optimizers and
initialization, seeded data, and a logged loop whose every number a torch.nn/torch.optim script reproduces."""

from normlens.train.loop import Config, Trainer

__all__ = ["Config", "Trainer"]
