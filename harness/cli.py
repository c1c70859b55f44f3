"""The `harness` command: parses arguments, calls one function per command, prints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from harness.console_tables import console, print_results
from harness.errors import HarnessError
from harness.help_text import tidy_help
from harness.progress import ProgressDisplay

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Evaluate Chinese psychological LLMs (PCEB, CPsyExam)."
)

TasksOption = Annotated[
    str, typer.Option("--tasks", help="Comma-separated tasks or groups, e.g. pceb,cpsyexam")
]
DataDirOption = Annotated[
    str | None,
    typer.Option("--data-dir", help="Folder holding PCEB/ and CPsyExam/ (default: $PSYCHE_DATA_DIR)"),
]
OutputOption = Annotated[Path, typer.Option("--output-dir", help="Where run folders are written")]
LimitOption = Annotated[int | None, typer.Option("--limit", help="Only the first N docs of each task")]
SplitOption = Annotated[
    str | None,
    typer.Option("--split", help="CPsyExam split: dev (default, scored), test (answers withheld) or train"),
]
JudgesOption = Annotated[
    str | None,
    typer.Option(
        "--judges",
        "--judge",
        help="Judge model(s) from models.yaml for psydt/cpsycoune, comma-separated; two or more also "
        "report their agreement (default: the task's judge, gpt-4o)",
    ),
]
IncludeOption = Annotated[
    list[Path] | None,
    typer.Option("--include-path", help="A folder of task files to add to the built-in ones (repeatable)"),
]
SampleOption = Annotated[
    int | None, typer.Option("--sample", help="PsyDT: size of the fixed-seed random sample (default 200)")
]


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
    names = _split_names(tasks)
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
        judges=_judge_names(judges),
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
        judges=_judge_names(judges),
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
        results = score_predictions(model_name, _split_names(tasks), rows, options, progress, decoding)
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

    results_dir = _results_folder(results_dir)
    table = Table("model", "run", "tasks", "split", "limit", "coverage", "scoring", "finished")
    for run in list_runs(results_dir):
        table.add_row(
            run.model, run.name, run.tasks, run.split, run.limit, run.coverage, run.scoring, run.finished
        )
    console().print(table)


@app.command("tasks")
def tasks_command(
    data_dir: DataDirOption = None,
    split: SplitOption = None,
    include_path: IncludeOption = None,
    sizes: Annotated[
        bool, typer.Option("--sizes", help="Count the docs of tasks not counted yet (loads their data)")
    ] = False,
) -> None:
    """List tasks and groups from the task files (no data is read unless --sizes): docs, scorer,
    version, metrics. Counts are cached by the data files' sizes and dates."""
    from rich.table import Table

    from harness.runs.runner import RunOptions
    from harness.tasks.catalog import load_tasks
    from harness.tasks.index import index_tasks
    from harness.tasks.sizes import data_fingerprint, read_sizes, size_key, store_sizes

    options = RunOptions(data_dir=data_dir, split=split, include_paths=tuple(include_path or ()))
    index = index_tasks(options.include_paths)
    metadata = options.metadata()
    fingerprint = data_fingerprint(options.data_path)
    keys = {name: size_key(entry, metadata, fingerprint) for name, entry in index.entries.items()}
    counts = read_sizes()
    members = {sub for entry in index.entries.values() for sub in entry.subtasks}
    tops = [name for name in index.entries if name not in members]
    problems: dict[str, str] = {}
    if sizes:
        for name in tops:
            leaves = [leaf.name for leaf in index.leaves(name)]
            if all(keys[leaf] in counts for leaf in leaves):
                continue
            try:
                loaded, _ = load_tasks([name], metadata, options.include_paths)
            except HarnessError as error:
                problems[name] = str(error)
                continue
            found = {keys[leaf.name]: len(leaf.docs) for leaf in loaded}
            counts |= found
            store_sizes(found)

    def docs(name: str) -> str:
        values = [counts.get(keys[leaf.name]) for leaf in index.leaves(name)]
        return "" if any(value is None for value in values) else str(sum(v for v in values if v is not None))

    table = Table("task", "docs", "scorer", "version", "metrics")
    for top in tops:
        for name in _walk(index, top):
            entry = index.entries[name]
            if entry.is_group:
                table.add_row(f"[bold]{name}[/] (group)", docs(name), "", entry.version, "")
            else:
                table.add_row(name, docs(name), entry.scorer, entry.version, ", ".join(entry.metrics))
    console().print(table)
    for top, problem in problems.items():
        console().print(f"{top}: not counted ({problem})")
    if any(not docs(name) for name in tops if name not in problems):
        console().print(
            "docs left blank are not counted yet: `harness tasks --sizes` counts them (reads the data)"
        )


def _walk(index: Any, name: str) -> list[str]:
    """A task or group, then (for a group) its members, depth first."""
    entry = index.entries[name]
    return [name] + [sub for member in entry.subtasks for sub in _walk(index, member)]


@app.command("docs")
def docs_command(
    tasks: TasksOption,
    data_dir: DataDirOption = None,
    limit: LimitOption = None,
    split: SplitOption = None,
    include_path: IncludeOption = None,
) -> None:
    """Print each doc's id, rendered prompt (chat messages) and gold as JSONL."""
    import json

    from harness.runs.runner import RunOptions
    from harness.tasks.catalog import load_tasks

    options = RunOptions(data_dir=data_dir, split=split, include_paths=tuple(include_path or ()))
    leaves, _ = load_tasks(_split_names(tasks), options.metadata(), options.include_paths)
    rows = (
        {
            "task": leaf.name,
            "doc_id": doc["doc_id"],
            # a doc_id can repeat across subjects (CPsyExam test): a prediction may name its subject
            **({"subject": doc["subject"]} if doc.get("subject") else {}),
            "messages": leaf.messages(doc),
            "gold": doc.get("answer") or doc.get("reference") or None,
        }
        for leaf in leaves
        for doc in (leaf.docs[:limit] if limit else leaf.docs)
    )
    _write_lines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _write_lines(lines: Any) -> None:
    """Stream lines to stdout; a reader that stops early (`harness docs ... | head`) ends the
    command quietly with status 0, as for any Unix filter."""
    import os

    try:
        for line in lines:
            sys.stdout.write(line)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of results.json (also in schemas/results.schema.json)."""
    from harness.runs.results_schema import json_schema

    sys.stdout.write(json_schema())


@app.command("leaderboard")
def leaderboard_command(
    benchmark: Annotated[
        str,
        typer.Option(
            "--benchmark", help="A benchmark with a leaderboard layout (pceb, cpsyexam, psydt ...) or all"
        ),
    ] = "all",
    results_dir: Annotated[
        Path | None, typer.Option("--results-dir", help="Run folders to add as rows (default: results)")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="md, csv, tex or html (printed)")] = "md",
    out_dir: Annotated[
        Path | None, typer.Option("--output-dir", "--out-dir", help="Write every format and the figures here")
    ] = None,
    include_path: IncludeOption = None,
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="How our rows are scored: benchmark (each benchmark's own code, as the paper's rows) or strict",
        ),
    ] = "benchmark",
    figure_all_runs: Annotated[
        bool,
        typer.Option(
            "--figure-all-runs",
            help="Draw partial and other unranked runs in Figure 1 too (left out by default)",
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Break our runs down: level (PCEB exam levels), subject (CPsyExam subjects) or topic "
            "(CPsyCounE topics x dimensions, per judge); md or csv",
        ),
    ] = None,
) -> None:
    """Rebuild the paper's Tables 1 (PCEB), 2 (CPsyExam) and 5 (PsyDT), and any benchmark whose task
    file declares a leaderboard, with our runs beside them."""
    from harness.leaderboard.build import benchmark_names, build_leaderboards

    results_dir = _results_folder(results_dir)
    if by is not None:
        from harness.leaderboard import breakdown

        if output_format not in ("md", "csv"):
            raise HarnessError(f"--by prints md or csv, not {output_format}")
        tables = breakdown.breakdowns(by, results_dir, tuple(include_path or ()), protocol)
        sys.stdout.write((breakdown.to_markdown if output_format == "md" else breakdown.to_csv)(tables))
        return

    includes = tuple(include_path or ())
    names = benchmark_names(includes) if benchmark == "all" else [benchmark]
    printed = build_leaderboards(
        names, results_dir, output_format, out_dir, includes, protocol, figure_all_runs
    )
    if printed:
        sys.stdout.write(printed)


@app.command("compare")
def compare_command(
    model_a: Annotated[str, typer.Argument(help="A run: MODEL (its latest run), MODEL/SPEC or a folder")],
    model_b: Annotated[
        str | None, typer.Argument(help="A run: MODEL (its latest run), MODEL/SPEC or a folder")
    ] = None,
    tasks: TasksOption = "pceb_mcq",
    results_dir: Annotated[Path, typer.Option("--results-dir")] = Path("results"),
    metric: Annotated[
        str, typer.Option("--metric", help="A declared metric: acc, acc_elastic, rouge1 ...")
    ] = "acc",
    include_path: IncludeOption = None,
    paper: Annotated[
        bool,
        typer.Option(
            "--paper",
            help="Set the run against the paper's row for the same model (its models.yaml display name): "
            "per column ours, the paper's, the difference, and whether the paper's value lies in our 95% interval",
        ),
    ] = False,
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="benchmark (each benchmark's own reading, as the leaderboard: items both runs answered) or strict",
        ),
    ] = "benchmark",
) -> None:
    """Paired difference of two runs on their shared items (bootstrap interval, McNemar test), or
    with --paper one reproduced run against the paper's numbers."""
    from harness.console_tables import COMPARE_PROTOCOLS, print_against_paper, print_comparison
    from harness.leaderboard.compare import compare_runs, compare_with_paper

    if paper:
        if model_b is not None:
            raise HarnessError("compare --paper takes one run (it is set against the paper's row)")
        print_against_paper(model_a, compare_with_paper(results_dir, model_a, tuple(include_path or ())))
        return
    if model_b is None:
        raise HarnessError("compare needs two runs (or one with --paper)")
    if protocol not in COMPARE_PROTOCOLS:
        raise HarnessError(f"--protocol {protocol!r}: use {' or '.join(COMPARE_PROTOCOLS)}")

    comparison = compare_runs(
        results_dir, model_a, model_b, _split_names(tasks), metric, tuple(include_path or ()), protocol
    )
    print_comparison(comparison, model_a, model_b, metric, COMPARE_PROTOCOLS[protocol])


def _judge_names(judges: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (judges or "").split(",") if name.strip())


def _split_names(tasks: str) -> list[str]:
    names = [name.strip() for name in tasks.split(",") if name.strip()]
    if not names:
        raise HarnessError("--tasks is empty: name at least one task, e.g. --tasks pceb")
    return names


def _results_folder(given: Path | None) -> Path:
    """The folder of run folders: `results` when none is named (it may not exist yet); a named one
    must be a folder that exists, or nothing would be shown as if there were no runs."""
    if given is None:
        return Path("results")
    if not given.exists():
        raise HarnessError(f"--results-dir {given}: no such folder (name the --output-dir of harness eval)")
    if not given.is_dir():
        raise HarnessError(f"--results-dir {given}: a file, not a folder of run folders")
    return given


PLUGIN_GROUP = "psyche_harness.commands"


def _add_plugins() -> None:
    """Sub-commands from installed plugins (entry points in PLUGIN_GROUP), e.g. `harness train`.
    A plugin module must import nothing heavy at import time."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            plugin = entry.load()
        except Exception as error:  # noqa: BLE001 - a broken plugin must not break evaluation
            sys.stderr.write(f"warning: plugin {entry.name!r} could not be loaded ({error})\n")
            continue
        app.add_typer(plugin, name=entry.name)


def _names_a_builtin_command(arguments: list[str]) -> bool:
    """Whether the command line names one of the commands above: plugins (found by scanning every
    installed package's entry points) are loaded only for the others, and for --help."""
    builtin = {command.name for command in app.registered_commands}
    return bool(arguments) and arguments[0] in builtin


def main() -> None:
    """Entry point: user mistakes print one line and exit 2, without a traceback."""
    import logging
    import os
    import signal
    import sqlite3

    from harness.errors import RunInterrupted

    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING)
    # Weight loading and downloads draw their own bars; the harness shows one progress display.
    # (Set before transformers is imported; a user's own setting wins.)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # OpenMP threads that wait by sleeping, not spinning: on a busy 2-core machine spinning threads
    # fight the other work and the README's job took twice as long (benchmarks/first_run.py --busy 2:
    # 287 s -> 144 s; no cost when idle, 79 vs 82 s). Read when torch loads, so set before it does.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    signal.signal(signal.SIGTERM, _interrupt)
    if not _names_a_builtin_command(sys.argv[1:]):
        _add_plugins()
    try:
        try:
            command = typer.main.get_command(app)
            tidy_help(command)
            command(prog_name="harness")
        except SystemExit as stop:
            # typer turns a KeyboardInterrupt (Ctrl-C, or SIGTERM below) into a silent exit 130
            if stop.code == RunInterrupted.exit_code and _interrupted(stop):
                raise KeyboardInterrupt from None
            raise
    except RunInterrupted as error:
        sys.stderr.write(f"{error}\n")
        sys.exit(RunInterrupted.exit_code)
    except HarnessError as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)
    except BrokenPipeError:  # the reader of our output went away (`| head`): nothing to say
        sys.exit(1)
    except OSError as error:  # a folder that is a file, read-only, a full disk: the system's words, one line
        where = f"{error.filename}: " if error.filename else ""
        sys.stderr.write(f"error: {where}{error.strerror or error}; files already written are whole\n")
        sys.exit(2)
    except sqlite3.DatabaseError as error:
        sys.stderr.write(
            f"error: a response cache (cache.sqlite) is damaged ({error}): move it away and re-run\n"
        )
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write(
            f"interrupted: `{' '.join(['harness', *sys.argv[1:]])}` stopped; every file on disk is whole "
            "(written completely or not at all): run the same command again to go on\n"
        )
        sys.exit(RunInterrupted.exit_code)


def _interrupted(stop: BaseException) -> bool:
    """Whether an exit was caused by a KeyboardInterrupt somewhere down its chain of causes."""
    seen: BaseException | None = stop
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops a run like Ctrl-C: what was kept is reported, nothing half-written remains.
    It is turned into SIGINT, so that whoever handles Ctrl-C handles it: inside asyncio.run (the
    API backend) the running requests are cancelled and the loop closed before the interrupt
    surfaces, instead of a KeyboardInterrupt raised inside a task ("Task exception was never
    retrieved" and its traceback)."""
    import signal

    signal.raise_signal(signal.SIGINT)
