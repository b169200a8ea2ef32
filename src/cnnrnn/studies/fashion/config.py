"""Fashion-MNIST settings: the study's configuration, its presets, and the training recipes of task 1f.

A *recipe* is an architecture (models/cnn.py) plus everything about how it is trained: optimizer,
learning rate, weight decay, schedule, augmentation, label smoothing, test-time flip averaging.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnrnn.errors import CnnrnnError

SPECIFIED = {"epochs": 5, "batch_size": 100, "lr": 1e-3}   # task 1e, as the assignment prescribes


@dataclass(frozen=True)
class Recipe:
    arch: str                       # a key of models.cnn.ARCHITECTURES
    description: str
    optimizer: str = "adamw"        # "adam" | "adamw"
    lr: float = 1e-3
    weight_decay: float = 5e-4      # AdamW's decoupled weight decay (unused by Adam)
    schedule: str = "constant"      # "constant" | "cosine" (per epoch, to 10 %) | "onecycle" (per step)
    augment: bool = False           # random 2-pixel shifts and mirror flips on whole batches
    label_smoothing: float = 0.0
    test_flip: bool = False         # test accuracy from the average over the image and its mirror image
    channels_last: bool = True      # oneDNN's native layout on CPUs: the same function, faster
    fused: bool = False             # SimpleCNN only: train through forward_fast (same function, tested)


RECIPES: dict[str, Recipe] = {
    "simple_cnn": Recipe("simple_cnn", "the specified model: conv(32) -> sigmoid -> max-pool -> linear",
                         optimizer="adam", weight_decay=0.0, channels_last=False, fused=True),
    "cnn2_relu": Recipe("cnn2", "2 conv blocks (32, 64) with ReLU and max-pool, FC 128"),
    "cnn3_bn": Recipe("cnn3_bn", "3 conv blocks (32, 64, 128) with BatchNorm", schedule="cosine"),
    "cnn3_bn_dropout_aug": Recipe("cnn3_bn_dropout", "3 conv blocks with BatchNorm, dropout 0.3, random crop/flip",
                                  augment=True, schedule="cosine", lr=2e-3),
    "cnn3_bn_fast": Recipe("cnn3_bn_wide_head",
                           "cnn3_bn with FC 256, crop/flip, one-cycle AdamW, label smoothing, flip at test",
                           augment=True, schedule="onecycle", lr=3e-3, weight_decay=0.05, label_smoothing=0.1,
                           test_flip=True),
    "resnet_small": Recipe("resnet_small", "residual: stem + pool, 3 basic blocks (32, 64, 128), global pool",
                           schedule="cosine", lr=2e-3),
}
EXPLORE_MODELS = ("cnn2_relu", "cnn3_bn", "cnn3_bn_dropout_aug", "resnet_small", "cnn3_bn_fast")


@dataclass
class FashionConfig:
    epochs: int = SPECIFIED["epochs"]          # SimpleCNN (task 1e)
    batch_size: int = SPECIFIED["batch_size"]
    lr: float = SPECIFIED["lr"]
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    val_size: int = 5000
    train_limit: int | None = None     # cut the training set (quick runs, tests)
    test_limit: int | None = None
    explore_models: tuple = EXPLORE_MODELS   # task 1f; () = none
    explore_epochs: dict = field(default_factory=lambda: {m: 5 for m in EXPLORE_MODELS})
    explore_seeds: list[int] = field(default_factory=lambda: [0, 1])
    explore_batch_size: int = 128
    explore_lr: float | None = None    # --lr with --model NAME; else each recipe's own rate
    include_simple_cnn: bool = True    # False with --model NAME (only that recipe)
    misclassified: int = 24
    verify: bool = True                # check the official checksums
    eval_batch_size: int = 1000

    def data_key(self) -> dict:
        """The settings that decide which images a run trains and tests on."""
        return {"val_size": self.val_size, "train_limit": self.train_limit, "test_limit": self.test_limit,
                "verify": self.verify}


def preset_config(preset: str) -> FashionConfig:
    """quick: every code path on subsets; default: the specified SimpleCNN runs plus one seed of each
    explored model, the best one trained longest; full: more seeds and epochs (meant for a GPU)."""
    if preset == "quick":
        return FashionConfig(epochs=2, seeds=[0], train_limit=2000, test_limit=1000, val_size=500,
                             explore_epochs={m: 1 for m in EXPLORE_MODELS}, explore_seeds=[0])
    if preset == "default":
        # Budget on the 2-core CPU (s/epoch on 55,000 images, one torch thread beside the IMDB study, as
        # measured in the default run of the README): cnn2_relu ~49, cnn3_bn ~75, resnet_small ~110,
        # cnn3_bn_fast ~79 (~48 with both cores).
        # The short runs show what each ingredient does after 1-2 epochs; cnn3_bn_fast gets the 12
        # epochs its one-cycle schedule is made for (93.6 % in 9.6 min with 2 threads, README).
        # cnn3_bn_dropout_aug is left to `full`: cnn3_bn_fast covers augmentation.
        return FashionConfig(explore_seeds=[0],
                             explore_models=("cnn2_relu", "cnn3_bn", "resnet_small", "cnn3_bn_fast"),
                             explore_epochs={"cnn2_relu": 2, "cnn3_bn": 2, "resnet_small": 1, "cnn3_bn_fast": 12})
    if preset == "full":
        return FashionConfig(seeds=[0, 1, 2, 3, 4], explore_seeds=[0, 1, 2],
                             explore_epochs={"cnn2_relu": 15, "cnn3_bn": 20, "cnn3_bn_dropout_aug": 30,
                                             "resnet_small": 30, "cnn3_bn_fast": 30})
    raise CnnrnnError(f"--preset {preset!r}: choose one of quick, default, full")
