"""Commands that make runs: eval (a model answers), score (predictions or stored responses scored), serve (a model behind vLLM's OpenAI server), and runs (the runs made)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.cli.app import app
from harness.cli.options import (
    DataDirOption,
    IncludeOption,
    JudgesOption,
    LimitOption,
    OutputOption,
    SampleOption,
    SplitOption,
    TasksOption,
    judge_names,
    results_folder,
    split_names,
)
from harness.console_tables import console, print_results
from harness.errors import HarnessError
from harness.progress import ProgressDisplay


@app.command("eval")
def eval_command(
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="A models.yaml name, a local model folder, a hub id, or lm-eval's hf / vllm with --model-args",
        ),
    ] = "smollm2-135m",
    tasks: TasksOption = "pceb",
    data_dir: DataDirOption = None,
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", "--output-path", "--output_path", help="Where run folders are written"),
    ] = Path("results"),
    limit: LimitOption = None,
    model_args: Annotated[
        str | None,
        typer.Option(
            "--model-args",
            "--model_args",
            help="As lm-eval: pretrained=PATH,dtype=bfloat16 (with --model hf)",
        ),
    ] = None,
    gen_kwargs: Annotated[
        str | None,
        typer.Option(
            "--gen-kwargs",
            "--gen_kwargs",
            help="As lm-eval: temperature=0,top_p=0.95,max_gen_toks=256,do_sample=false",
        ),
    ] = None,
    batch_size: Annotated[
        str | None,
        typer.Option(
            "--batch-size", "--batch_size", help="Prompts per batch on a local model (auto: the entry's)"
        ),
    ] = None,
    num_fewshot: Annotated[
        int | None,
        typer.Option(
            "--num-fewshot",
            "--num_fewshot",
            help="Exemplars per question: picks each task's N-shot version (CPsyExam: 0 or 5)",
        ),
    ] = None,
    apply_chat_template: Annotated[
        bool | None,
        typer.Option(
            "--apply-chat-template/--no-apply-chat-template",
            help="Render prompts with the model's chat template (default: the model entry's chat_template)",
        ),
    ] = None,
    max_new_tokens: Annotated[
        int | None, typer.Option("--max-new-tokens", help="Override the model's setting")
    ] = None,
    split: SplitOption = None,
    answer_key: Annotated[
        str | None, typer.Option("--answer-key", help="CPsyExam test answer key (official format)")
    ] = None,
    judges: JudgesOption = None,
    sample: SampleOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Regenerate every response")] = False,
    models_file: Annotated[Path | None, typer.Option("--models-file", help="Instead of models.yaml")] = None,
    include_path: IncludeOption = None,
    subset: Annotated[
        str | None,
        typer.Option(
            "--subset", help="Only the items labelled challenging or non-challenging (with --labels)"
        ),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option("--labels", help="The folder `harness synth label` wrote (<task>.json)")
    ] = None,
) -> None:
    """Run a model on tasks; writes <output-dir>/<model>/<spec>/results.json and samples/."""
    from harness.lm_eval_flags import model_from_args, tasks_with_shots, with_overrides
    from harness.models import resolve_model
    from harness.runs.runner import RunOptions, evaluate
    from harness.tasks.index import index_tasks

    if model_args:
        spec = model_from_args(model, model_args)
    else:
        spec = resolve_model(model, [models_file] if models_file else None)
    spec = with_overrides(spec, gen_kwargs, batch_size, apply_chat_template)
    names = split_names(tasks)
    if num_fewshot is not None:
        names = tasks_with_shots(names, num_fewshot, index_tasks(tuple(include_path or ())).entries)
    options = RunOptions(
        data_dir=data_dir,
        output_dir=output_dir,
        limit=limit,
        use_cache=not no_cache,
        split=split,
        answer_key=answer_key,
        max_new_tokens=max_new_tokens,
        sample=sample,
        judges=judge_names(judges),
        models_files=(models_file,) if models_file else None,
        include_paths=tuple(include_path or ()),
        subset=subset,
        labels=labels,
    )
    with ProgressDisplay() as progress:
        results = evaluate(spec, names, options, progress)
    print_results(results, spec.name, options.include_paths)
    if spec.category == "embedded":
        console().print(EMBEDDED_NOTE.format(output_dir=output_dir))


EMBEDDED_NOTE = (
    "The embedded model is SmolLM2-135M, a small English-first model: on Chinese exam questions it "
    "scores near chance or below and most of its answers state no option (unparsed). That is the "
    "expected result of this first run; the harness works the same for any model.\n"
    "Next: `harness leaderboard --benchmark pceb --results-dir {output_dir}` sets this run beside "
    "the paper's rows; evaluate a real model with `--model PATH` (a local folder) or a models.yaml "
    "entry with `backend: openai` (any OpenAI-compatible endpoint)."
)


@app.command("score")
def score_command(
    tasks: Annotated[
        str | None, typer.Option("--tasks", help="Comma-separated tasks or groups (with --predictions)")
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help='JSONL lines {"doc_id": ..., "response": ...}')
    ] = None,
    run: Annotated[
        str | None,
        typer.Option("--run", help="Re-score a run from its stored responses: MODEL, MODEL/SPEC or a folder"),
    ] = None,
    model_name: Annotated[str, typer.Option("--model-name", help="Name of the run folder")] = "external",
    data_dir: DataDirOption = None,
    output_dir: OutputOption = Path("results"),
    limit: LimitOption = None,
    split: SplitOption = None,
    answer_key: Annotated[str | None, typer.Option("--answer-key")] = None,
    judges: JudgesOption = None,
    sample: SampleOption = None,
    models_file: Annotated[Path | None, typer.Option("--models-file", help="Instead of models.yaml")] = None,
    include_path: IncludeOption = None,
    decoding: Annotated[
        str | None,
        typer.Option(
            "--decoding",
            help='How the predictions were generated, recorded as given (e.g. "temperature 0.7, top-p 0.8, '
            'vLLM 0.9"); "unknown" when not given',
        ),
    ] = None,
) -> None:
    """Score responses produced elsewhere (--predictions), or re-score a run (--run), and write the
    same results files."""
    from harness.runs.results import read_predictions, resolve_run
    from harness.runs.runner import RunOptions, rescore_run, score_predictions

    options = RunOptions(
        data_dir=data_dir,
        output_dir=output_dir,
        limit=limit,
        split=split,
        answer_key=answer_key,
        sample=sample,
        judges=judge_names(judges),
        models_files=(models_file,) if models_file else None,
        include_paths=tuple(include_path or ()),
    )
    if run is not None:
        folder = resolve_run(output_dir, run)
        with ProgressDisplay() as progress:
            results = rescore_run(folder, options, progress)
        print_results(results, str(folder), options.include_paths)
        return
    if tasks is None or predictions is None:
        raise HarnessError("harness score needs --tasks and --predictions, or --run to re-score a run")
    rows = read_predictions(predictions)
    with ProgressDisplay() as progress:
        results = score_predictions(model_name, split_names(tasks), rows, options, progress, decoding)
    print_results(results, model_name, options.include_paths)


@app.command("serve", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def serve_command(
    context: typer.Context,
    model: Annotated[str, typer.Option("--model", help="A models.yaml entry (hf or vllm) or a model folder")],
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on")] = 8000,
) -> None:
    """Serve a model with vLLM's OpenAI-compatible server (its weights, dtype and engine_args), to
    evaluate, judge or synthesise through the openai backend; arguments after the options go to vLLM."""
    import os

    from harness.models import resolve_model
    from harness.serve import served_entry, server_command

    spec = resolve_model(model)
    command = server_command(spec, host, port, list(context.args))
    sys.stderr.write(
        f"serving {spec.name} at http://{host}:{port}/v1 (vLLM starts in a minute or more); "
        f"use it through an entry such as:\n{served_entry(spec, host, port)}"
    )
    sys.stderr.flush()
    os.execv(command[0], command)


@app.command("runs")
def runs_command(
    results_dir: Annotated[
        Path | None, typer.Option("--results-dir", help="Where run folders are (default: results)")
    ] = None,
) -> None:
    """List the runs: model, spec, tasks, split, coverage (complete or not), scoring, date."""
    from rich.table import Table

    from harness.runs.listing import list_runs

    results_dir = results_folder(results_dir)
    table = Table("model", "run", "tasks", "split", "limit", "coverage", "scoring", "finished")
    for run in list_runs(results_dir):
        table.add_row(
            run.model, run.name, run.tasks, run.split, run.limit, run.coverage, run.scoring, run.finished
        )
    console().print(table)
