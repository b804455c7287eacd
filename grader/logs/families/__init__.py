"""One module per framework family's printout, each a tuple of line rules. The dispatcher
tries them in this order (specific printouts first, the generic key-value reader last); the
family whose rules claim most lines names the reader ("read as a keras log")."""
from __future__ import annotations

from grader.logs.families import (caffe, deit, detectron2, fairseq, generic, hf, keras,
                                  lightning, mmcv, nanogpt, paddle, pytorch, tensorflow, yolo)
from grader.logs.families.base import Rule

RULES: tuple[Rule, ...] = (*hf.RULES, *mmcv.RULES, *fairseq.RULES, *deit.RULES,
                           *nanogpt.RULES, *tensorflow.RULES, *caffe.RULES, *detectron2.RULES,
                           *paddle.RULES, *yolo.RULES, *lightning.RULES,
                           *keras.RULES, *pytorch.RULES, *generic.RULES)

__all__ = ["RULES", "Rule"]
