"""Promote a model version from another environment's registry into this one: the same bytes, never retrained.

`--from-environment dev` reads the workspace of `pipelines/config/dev.yml`. When it is this backend's own
registry (the local backend; two environments naming one workspace) nothing is copied. Otherwise the version
is downloaded from there, its bytes are checked against the digest its gate passed (`bundle_digest` tag,
written by register-model), registered here as the same name and version with the same tags plus
`promoted_from`, downloaded back from here and checked again; deploy-online then deploys it from here.
A version already here is accepted only with the same digest. Refuses (exit 3) a version without a gated
digest, one whose bytes differ from it, and a different version already here under that number.

The data the version trained on (its `data_asset` / `data_version` lineage tags) travels with it: downloaded
from there, checked against its content hash, registered here under the same name (a version with the same
content is reused): prod's monitor compares prod's scoring inputs with it. Nothing is copied when the version
names no training data.
Prints {"model", "version", "from_environment", "copied", "digest", "training_data"}.
"""

from __future__ import annotations

import argparse
from typing import Any

from amlops.backends.base import Backend, EnvironmentRegistry, ModelVersion, Registry
from amlops.errors import NotFoundError, RefusedError
from amlops.hashing import content_hash
from amlops.output import emit_result, say
from amlops.verbs._common import backend_for, bundle_digest, nonempty
from amlops.verbs.register_model import DIGEST_TAG

PROMOTED_TAG = "promoted_from"  # <environment>:<workspace model id>, on the copy
DATA_TAG, DATA_VERSION_TAG = "data_asset", "data_version"  # lineage tags (amlops.lineage.run_tags)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-name", required=True, help="registered model name")
    parser.add_argument("--version", required=True, type=nonempty, help="model version to promote")
    parser.add_argument(
        "--from-environment",
        required=True,
        type=nonempty,
        help="environment whose registry holds the gated version (its pipelines/config/<env>.yml)",
    )


def _checked(registry: Registry, name: str, version: str, gated: str, where: str) -> str:
    digest = bundle_digest(registry.download_model(name, version))
    if digest != gated:
        raise RefusedError(
            f"model {name}:{version} in {where} has digest {digest}, not the gated {gated}: "
            "these are not the bytes that passed the gate; nothing is deployed",
            result={"model": name, "version": version, "digest": digest, "gated_digest": gated},
        )
    return digest


def promote_model(
    backend: Backend, *, model_name: str, version: str, from_environment: str
) -> dict[str, Any]:
    source = backend.environment_registry(from_environment)
    here = f"this environment's registry ({backend.name})"
    if source is None:  # one registry for both: the version deployed is the version gated
        model = backend.get_model_version(model_name, version=version)
        gated = model.tags.get(DIGEST_TAG)
        digest = bundle_digest(backend.download_model(model_name, version))
        if gated is not None and digest != gated:
            _checked(backend, model_name, version, gated, here)
        say(f"{model_name}:{version} is in the registry {from_environment} shares with this environment")
        return _result(model_name, version, from_environment, copied=False, digest=digest)
    where = f"environment {from_environment}'s registry"
    model = source.get_model_version(model_name, version=version)
    gated = model.tags.get(DIGEST_TAG)
    if not gated:
        raise RefusedError(
            f"model {model_name}:{version} in {where} carries no {DIGEST_TAG} tag (register-model writes "
            "it from the gate decision): it cannot be shown to be the gated artifact; register it with "
            "`amlops register-model` after a passed gate"
        )
    bundle = source.download_model(model_name, version)
    _checked(source, model_name, version, gated, where)
    training_data = _promote_training_data(backend, source, model, from_environment)
    try:
        existing: Any = backend.get_model_version(model_name, version=version)
    except NotFoundError:
        existing = None
    if existing is None:
        tags = {**model.tags, PROMOTED_TAG: f"{from_environment}:{model_name}:{version}"}
        backend.import_model_version(model_name, version, bundle_dir=bundle, tags=tags)
    digest = _checked(backend, model_name, version, gated, here)
    say(
        f"[green]{model_name}:{version} "
        + ("copied from" if existing is None else "already here, the same bytes as")
        + f" {where}[/] ({digest})"
    )
    return _result(
        model_name,
        version,
        from_environment,
        copied=existing is None,
        digest=digest,
        training_data=training_data,
    )


def _promote_training_data(
    backend: Backend, source: EnvironmentRegistry, model: ModelVersion, environment: str
) -> str | None:
    """Copy the data asset version `model` trained on into this backend (same name; its content hash
    checked); `name:version` here, or None when the model names no training data."""
    name, version = model.tags.get(DATA_TAG), model.tags.get(DATA_VERSION_TAG)
    if not name or not version:
        return None
    asset = source.get_data(name, version)
    path = source.download_data(name, version)
    digest = content_hash(path)
    if asset.hash and digest != asset.hash:
        raise RefusedError(
            f"training data {name}:{version} in environment {environment}'s workspace has content hash "
            f"{digest}, not the {asset.hash} it was registered with; nothing is copied",
        )
    copy = backend.register_data(name, path)
    if copy.created:
        backend.tag_data(name, copy.version, {PROMOTED_TAG: f"{environment}:{name}:{version}"})
    say(
        f"training data {name}:{version} "
        + ("copied" if copy.created else "already here")
        + f" as {name}:{copy.version}"
    )
    return f"{name}:{copy.version}"


def _result(
    name: str,
    version: str,
    environment: str,
    *,
    copied: bool,
    digest: str,
    training_data: str | None = None,
) -> dict[str, Any]:
    return {
        "model": name,
        "version": version,
        "from_environment": environment,
        "copied": copied,
        "digest": digest,
        "training_data": training_data,
    }


def execute(args: argparse.Namespace) -> int:
    emit_result(
        promote_model(
            backend_for(args),
            model_name=args.model_name,
            version=args.version,
            from_environment=args.from_environment,
        )
    )
    return 0
