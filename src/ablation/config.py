"""The study configuration: load and validate; its grid lives in `ablation.grid`.

One source of truth: a value flows config -> grid cell -> `TrainConfig` -> a
column of the metrics table. Every error a user can cause here names the file,
the key and the fix, and is raised before any job starts.

Any axis of `ablation.axes.AXES` may be listed under `grid:`; an axis not listed
takes its single value from `training:` (or `data:` for `dataset`). After
validation `config["grid"]` holds every axis as a list, so a grid list always wins.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import inspect
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ablation import memory as mem
from ablation.axes import AXES

# The grid's API, also importable from here (the config's long-standing home).
from ablation.grid import (
    FLOAT_AXES,
    PATH_AXES,
    RUN_PATTERN,
    SETTINGS,
    TRAIN_IMAGES,
    TrainConfig,
    find_cell,
    format_value,
    grid_cells,
    parse_run_path,
    path_defaults,
    run_config,
    run_id,
    run_path,
)
from ablation.schema import load_schema

__all__ = [
    "AXES",
    "FLOAT_AXES",
    "PATH_AXES",
    "RUN_PATTERN",
    "SETTINGS",
    "TRAIN_IMAGES",
    "ConfigError",
    "TrainConfig",
    "find_cell",
    "format_value",
    "grid_cells",
    "load_config",
    "load_schema",
    "locate_key",
    "parse_run_path",
    "path_defaults",
    "run_config",
    "run_id",
    "run_path",
    "validate_config",
]
ACTIVATION_NAMES = ("relu", "sigmoid", "tanh", "gelu", "leaky_relu", "elu", "silu", "identity")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NAME_KEYS = {("activation",), ("optimizer",), ("class",)}


class ConfigError(ValueError):
    """A bad study configuration: says which file, which key, and how to fix it."""

    def __init__(self, source: str, key: str, problem: str, fix: str):
        self.source, self.key, self.problem, self.fix = source, key, problem, fix
        super().__init__(f"{source}: {key}: {problem}\n  fix: {fix}")


# ---------------------------------------------------------------------------- loading


def load_config(path: str | Path) -> dict:
    """Read and validate a study config file; defaults filled in."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(
            str(path), "-", "file not found", "pass an existing config file"
        ) from None
    except yaml.YAMLError as err:
        raise ConfigError(
            str(path), "-", f"not valid YAML ({err})", "fix the YAML syntax"
        ) from None
    return validate_config(raw or {}, source=str(path))


def validate_config(
    config: dict,
    source: str = "config",
    layers: Sequence[tuple[str, Mapping | str | Path]] | None = None,
    memory: int | None = None,
) -> dict:
    """Return a validated copy of `config` with defaults filled in.

    Parameters
    ----------
    config : the merged study configuration.
    source : what the config was read from, for messages.
    layers : where the merged config came from, highest precedence first, as
        (name, mapping or YAML file) pairs; an error then names the layer that
        sets the offending key (e.g. the `--configfile` that holds a typo).
    memory : bytes of memory of the machine that trains (`ablation.memory.machine_memory`);
        given, a run whose training cannot fit in it is refused (the Snakefile's check).

    Raises
    ------
    ConfigError
        On the first problem found, naming the file, the key and the fix.
    """
    try:
        return _validate(config, source, memory)
    except ConfigError as err:
        where = locate_key(err.key, layers or [])
        if where is None:
            raise
        raise ConfigError(where, err.key, err.problem, err.fix) from None


def _validate(config: dict, source: str, memory: int | None = None) -> dict:
    if not isinstance(config, dict):
        raise ConfigError(source, "-", "the config is not a mapping", "write keys like `grid:`")
    config = _coerce_numbers(copy.deepcopy(config))
    schema = load_schema()
    _check_schema(config, schema, source)
    _rename_train_limit(config, source)
    _fill_defaults(config, schema)
    listed = set(config["grid"])
    _fill_grid(config)
    _check_semantics(config, source)
    _check_sizes(config, source, listed)
    config["training"]["milestones"] = sorted(config["training"]["milestones"])
    if memory is not None:
        _check_memory(config, source, listed, memory)
    return config


def _check_memory(config: dict, source: str, listed: set[str], memory: int) -> None:
    """The run needing the most memory fits in `memory` bytes, or the setting that
    weighs most is refused, with the largest value that fits."""
    runs = (run_config(config, cell) for cell in grid_cells(config))
    cfg, need = max(((c, mem.estimate(c)) for c in runs), key=lambda found: found[1].total)
    if need.total <= memory:
        return
    setting = need.culprit(memory)
    home = SETTINGS.get(setting, "training")
    key = f"grid.{setting}" if setting in listed else f"{home}.{setting}"
    value = "null" if getattr(cfg, setting) is None else getattr(cfg, setting)
    fits = mem.largest_fitting(cfg, setting, memory)
    instead = f"set {setting} to at most {fits}" if fits else f"lower {setting}"
    raise ConfigError(
        source,
        key,
        f"{value} needs about {mem.human(need.total)} of memory to train one run "
        f"({mem.human(need.weights)} for its weights alone; {run_path(cfg.cell())}), "
        f"more than the {mem.human(memory)} of this machine",
        f"{instead} here (the other settings as they are), or train on a machine with more memory",
    )


def _rename_train_limit(config: dict, source: str) -> None:
    """`training.train_limit` (deprecated) is read as `training.train_size`."""
    training = config.get("training") or {}
    limit = training.pop("train_limit", None)
    if limit is None:
        return
    if training.get("train_size") not in (None, limit):
        raise ConfigError(
            source,
            "training.train_limit",
            f"{limit} contradicts training.train_size = {training['train_size']}",
            "remove train_limit (its old name); train_size sets the training images",
        )
    training["train_size"] = limit


def _fill_grid(config: dict) -> None:
    """Every axis as a list under `grid`, in the order of AXES: listed ones as given, the
    others from their setting."""
    grid = config["grid"]
    for axis in AXES:
        values = grid[axis] if axis in grid else [config[SETTINGS[axis]][axis]]
        grid.pop(axis, None)
        grid[axis] = [float(v) for v in values] if axis in FLOAT_AXES else values


def locate_key(key: str, layers: Sequence[tuple[str, Mapping | str | Path]]) -> str | None:
    """The name of the first layer that sets the dotted `key` (`grid.dropout[0]` style).

    Layers given as paths are read as YAML; unreadable ones are skipped.
    """
    parts = [p for p in re.split(r"\.|\[\d+\]", key) if p]
    if not parts or parts == ["-"]:
        return None
    for name, layer in layers:
        node = _read_layer(layer)
        for part in parts:
            if not isinstance(node, Mapping) or part not in node:
                break
            node = node[part]
        else:
            return _short_path(name)
    return None


def _read_layer(layer: Mapping | str | Path) -> Any:
    if isinstance(layer, Mapping):
        return layer
    try:
        return yaml.safe_load(Path(layer).read_text())
    except (OSError, yaml.YAMLError):
        return None


def _short_path(name: str) -> str:
    path = Path(name)
    if path.is_absolute():
        with contextlib.suppress(ValueError):
            return str(path.relative_to(Path.cwd()))
    return name


def _coerce_numbers(node: Any, path: tuple[str, ...] = ()) -> Any:
    """Read numbers that arrived as strings as the numbers the user meant.

    YAML 1.1 readers (PyYAML, Snakemake) read `1e-4` as a string, and Snakemake's
    `--config key=...` passes nested values as strings. Names and paths stay strings.
    """
    if isinstance(node, dict):
        return {k: _coerce_numbers(v, (*path, str(k))) for k, v in node.items()}
    if isinstance(node, list):
        return [_coerce_numbers(v, path) for v in node]
    if isinstance(node, str) and path[:1] != ("data",) and path[-1:] not in _NAME_KEYS:
        text = node.strip()
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
    return node


def _check_schema(config: dict, schema: dict, source: str) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(
        validator.iter_errors(config), key=lambda e: (len(e.path), list(map(str, e.path)))
    )
    if errors:
        raise _friendly(errors[0], source)


def _friendly(error: jsonschema.ValidationError, source: str) -> ConfigError:
    key = _key_name(error.path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = schema.get("description") or _parent_description(error)
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        close = difflib.get_close_matches(unknown[0], allowed, n=1) if unknown else []
        fix = f"did you mean `{close[0]}`? " if close else ""
        return ConfigError(
            source,
            f"{key}.{unknown[0]}" if key != "(top level)" else unknown[0],
            "unknown key (a typo would otherwise be ignored silently)",
            f"{fix}allowed keys here: {', '.join(allowed)}",
        )
    if error.validator == "minItems":
        return ConfigError(source, key, "the list is empty", f"give at least one value. {hint}")
    if error.validator == "uniqueItems":
        return ConfigError(
            source, key, f"repeats a value: {error.instance}", "list each value once"
        )
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        given = [str(k) for k in error.instance]
        close = difflib.get_close_matches(missing[0], given, n=1) if missing else []
        typo = f" (is `{close[0]}` a misspelling of it?)" if close else ""
        return ConfigError(source, key, error.message, f"add it{typo}. {hint}".strip())
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return ConfigError(
            source, key, f"{error.instance!r} is not allowed", f"use one of: {allowed}"
        )
    if error.validator in _BOUNDS:
        bound = f"{_BOUNDS[error.validator]} {error.validator_value}"
        fix = f"use a value {bound}. {hint}".strip()
        return ConfigError(source, key, f"{error.instance!r} is out of range", fix)
    if error.validator == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        kinds = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted)
        return ConfigError(
            source, key, f"{error.instance!r} is not {kinds}", f"write {kinds}. {hint}".strip()
        )
    return ConfigError(source, key, error.message, hint or "see config/README.md")


_BOUNDS = {
    "minimum": ">=",
    "exclusiveMinimum": ">",
    "maximum": "<=",
    "exclusiveMaximum": "<",
}
_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number (0.001 and 1e-3 both work)",
    "string": "text",
    "array": "a list, e.g. [a, b]",
    "object": "a mapping of keys to values",
    "boolean": "true or false",
    "null": "null",
}


def _key_name(path: Iterable[Any]) -> str:
    """`grid.dropout[0]`: dotted keys, list positions in brackets."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name or "(top level)"


def _parent_description(error: jsonschema.ValidationError) -> str:
    """The description of the nearest schema above the failing one (list items have none)."""
    node, found = load_schema(), ""
    for part in list(error.absolute_schema_path)[:-1]:
        if not isinstance(node, dict | list):
            break
        node = node[part]
        if isinstance(node, dict) and node.get("description"):
            found = node["description"]
    return found


def _fill_defaults(node: dict, schema: dict) -> None:
    for name, sub in schema.get("properties", {}).items():
        if name not in node and "default" in sub:
            node[name] = copy.deepcopy(sub["default"])
        if isinstance(node.get(name), dict) and sub.get("type") == "object":
            _fill_defaults(node[name], sub)


def _check_semantics(config: dict, source: str) -> None:
    grid, presets, training = config["grid"], config["optimizers"], config["training"]
    for name in grid["activation"]:
        if name not in ACTIVATION_NAMES:
            raise ConfigError(
                source,
                "grid.activation",
                f"unknown activation {name!r}",
                f"use one of: {', '.join(ACTIVATION_NAMES)}",
            )
    for name in grid["optimizer"]:
        if name not in presets:
            raise ConfigError(
                source,
                "grid.optimizer",
                f"no optimizer preset named {name!r}",
                f"use one of: {', '.join(sorted(presets))}, or add a preset under `optimizers:`",
            )
    for name in grid["optimizer"]:
        _check_preset(name, presets[name], source)
    epochs = training["epochs"]
    late = [m for m in training["milestones"] if m > epochs]
    if late:
        raise ConfigError(
            source,
            "training.milestones",
            f"{late} lie beyond training.epochs = {epochs}",
            "drop them or raise training.epochs",
        )


def _check_sizes(config: dict, source: str, listed: set[str]) -> None:
    """Validation, training and batch sizes that fit the 60,000 training images."""
    grid = config["grid"]

    def key(axis: str) -> str:
        return f"grid.{axis}" if axis in listed else f"{SETTINGS[axis]}.{axis}"

    for held_out in grid["validation_size"]:
        if held_out >= TRAIN_IMAGES:
            raise ConfigError(
                source,
                key("validation_size"),
                f"{held_out} leaves no training images",
                f"use a value below {TRAIN_IMAGES} (default 10000; 0 = no validation set)",
            )
        left = TRAIN_IMAGES - held_out
        sizes = [left if n is None else n for n in grid["train_size"]]
        too_many = [n for n in sizes if n > left]
        if too_many:
            raise ConfigError(
                source,
                key("train_size"),
                f"{too_many[0]} training images asked for, but validation_size {held_out} "
                f"leaves {left} of the {TRAIN_IMAGES}",
                f"use at most {left} (null = all of them), or a smaller validation_size",
            )
        if len(set(sizes)) < len(sizes):
            raise ConfigError(
                source,
                key("train_size"),
                f"{grid['train_size']} lists all {left} training images twice (null = all)",
                "list each size once",
            )
        for batch in grid["batch_size"]:
            if batch > min(sizes):
                raise ConfigError(
                    source,
                    key("batch_size"),
                    f"{batch} is larger than the training set ({min(sizes)} images)",
                    f"use a batch size of at most {min(sizes)}, or more training images",
                )


def _check_preset(name: str, preset: dict, source: str) -> None:
    import torch.optim  # deferred: importing torch costs a second

    key = f"optimizers.{name}"
    cls = getattr(torch.optim, preset["class"], None)
    if not (inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer)):
        known = sorted(
            n
            for n, c in vars(torch.optim).items()
            if inspect.isclass(c) and issubclass(c, torch.optim.Optimizer) and n != "Optimizer"
        )
        raise ConfigError(
            source,
            f"{key}.class",
            f"torch.optim has no optimizer {preset['class']!r}",
            f"use one of: {', '.join(known)}",
        )
    accepted = set(inspect.signature(cls).parameters) - {"params", "self"}
    for arg in preset:
        if arg == "weight_decay":
            raise ConfigError(
                source,
                f"{key}.weight_decay",
                "weight decay is a grid axis, not a preset argument",
                "remove it here and list values under grid.weight_decay",
            )
        if arg != "class" and arg not in accepted:
            raise ConfigError(
                source,
                f"{key}.{arg}",
                f"{preset['class']} takes no argument {arg!r}",
                f"its arguments are: {', '.join(sorted(accepted - {'weight_decay'}))}",
            )
