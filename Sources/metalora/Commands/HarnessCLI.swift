import ArgumentParser
import Foundation
import Harness

/// Options naming a spec and the profile that scales it.
struct SpecOptions: ParsableArguments {
    @Argument(help: "An experiment spec, e.g. experiments/table2.yaml.") var spec: String
    @Option(help: "smoke | quick | small | paper (experiments/profiles.yaml).") var profile = "quick"
    @Option(help: "Override the profile's model path.") var model: String?
    @Option(help: "Another profiles file.") var profiles: String?
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan",
        abstract: "Print the resolved runs of a spec on a profile, their estimated cost and the power of its paired comparisons; runs nothing.")
    @OptionGroup var options: SpecOptions
    @Option(help: "Estimate for a named shape instead of reading --model's header: llama2-7b | llama2-13b.") var modelShape: String?
    @Option(help: "Also estimate hours on a node with this many cores (scaled from this machine's per-core rate).") var nodeCores: Int?
    @Option(help: "Also estimate hours on a node sustaining this many float32 GFLOP/s.") var nodeGflops: Double?
    @Option(help: "Spread the total over this many parallel array tasks (default: one per cell).") var arrayTasks: Int?
    func validate() throws {
        if let n = nodeCores, n < 1 { throw ValidationError("--node-cores must be ≥ 1") }
        if let g = nodeGflops, !(g > 0) || !g.isFinite { throw ValidationError("--node-gflops must be a positive number") }
        if let a = arrayTasks, a < 1 { throw ValidationError("--array-tasks must be ≥ 1") }
    }
    @Option(help: "Results store whose base results set the power lines' accuracy (default results/metalora.sqlite, if present).") var db: String?
    @Argument(help: ArgumentHelp("Hyper-parameter overrides for every entry whose method has the key (see train --help).", valueName: "key=value"))
    var overrides: [String] = []
    func run() throws {
        let node = nodeCores == nil && nodeGflops == nil ? nil : NodeDescription(cores: nodeCores, gflops: nodeGflops)
        print(try HarnessCommands.plan(spec: options.spec, profile: options.profile, model: options.model, profiles: options.profiles, db: db,
                                       cost: PlanCostOptions(modelShape: modelShape, node: node, arrayTasks: arrayTasks,
                                                             dataDirectory: ProcessInfo.processInfo.environment["METALORA_DATA"]),
                                       overrides: overrides))
    }
}

struct DeviationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deviations",
        abstract: "Print the spec's \"Protocol and deviations\" block on a profile (what every table prints under itself); runs nothing.")
    @OptionGroup var options: SpecOptions
    @Option(help: "md | tex") var format = "md"
    func run() throws {
        guard let f = TableFormat(rawValue: format) else { throw ValidationError("--format must be md or tex (got \(format))") }
        print(try HarnessCommands.deviations(spec: options.spec, profile: options.profile, model: options.model,
                                             profiles: options.profiles, format: f))
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run",
        abstract: "Run the spec's missing cells (training + evaluation) into the results store; finished cells are skipped.")
    @OptionGroup var options: SpecOptions
    @Option(help: "Results store (default results/metalora.sqlite).") var db: String?
    @Option(parsing: .unconditional, help: "Threads per cell.") var threads: Int?
    @Option(help: "Checkpoint and adapter folders, one per config hash (default results/runs).") var checkpoints: String?
    @Argument(help: ArgumentHelp("Hyper-parameter overrides for every entry whose method has the key (see train --help); they change the config hashes.",
                                 valueName: "key=value"))
    var overrides: [String] = []
    func run() throws {
        try requirePositiveThreads(threads)
        try finish(HarnessCommands.run(spec: options.spec, profile: options.profile, model: options.model,
                                       profiles: options.profiles, db: db, threads: threads, checkpoints: checkpoints,
                                       executor: try makeCellExecutor(), overrides: overrides, handleSignals: true, log: note))
    }
}

struct RunCellCommandCLI: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run-cell",
        abstract: "Run one cell of a spec into a given store (used by sweeps and Slurm array tasks); exits 1 when the cell fails.")
    @OptionGroup var options: RunCellOptions
    func run() throws {
        try finish(RunCellCommand.run(options.arguments, paths: .current, executor: try makeCellExecutor(),
                                      codeVersion: Runner.codeVersion(packageRoot: HarnessPaths.current.root),
                                      handleSignals: true, log: note))
    }
}

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sweep",
        abstract: "Expand a spec's grid and run the missing cells J at a time (local) or write a Slurm array script.")
    @OptionGroup var options: SpecOptions
    @Option(parsing: .unconditional, help: "Cells run at once (local backend).") var jobs = 1
    @Option(help: "local | slurm") var backend = "local"
    @Option(help: "Results store (default results/metalora.sqlite).") var db: String?
    @Flag(help: "Slurm: write the script and sweep.json only; submit nothing.") var dryRun = false
    @Flag(help: "Slurm: show each cell's state (done, running, pending, failed, not submitted).") var status = false
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Slurm account.") var account: String?
    @Option(help: "Slurm QoS.") var qos: String?
    @Option(help: "Slurm time limit per task (default: plan's estimate ×1.5 + 10 min).") var time: String?
    @Option(help: "CPUs per array task (default: the profile's threads, else this machine's cores).") var cpusPerTask: Int?
    @Option(help: "Memory per task, e.g. 16G (default: plan's estimate ×1.25 + 256M).") var mem: String?
    @Option(help: "At most this many array tasks at once (sbatch --array=…%N).") var throttle: Int?
    @Option(help: "Estimate time and memory for a named shape: llama2-7b | llama2-13b.") var modelShape: String?
    var resources: SlurmResources {
        SlurmResources(partition: partition, account: account, qos: qos, time: time, cpusPerTask: cpusPerTask, mem: mem, throttle: throttle)
    }
    /// A Slurm value sbatch would misread is a usage mistake (exit 2), named by its flag.
    func validate() throws {
        do { _ = try resources.validated() } catch let e as SpecError { throw ValidationError("--\(e.field): \(e.message)") }
    }
    func run() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        var slurm = HarnessCommands.SlurmSweepOptions()
        slurm.resources = resources
        slurm.dryRun = dryRun; slurm.status = status; slurm.modelShape = modelShape
        if backend != "slurm" && (dryRun || status) { throw ValidationError("--dry-run and --status apply to --backend slurm") }
        let result = try HarnessCommands.sweep(spec: options.spec, profile: options.profile, model: options.model,
                                               profiles: options.profiles, jobs: jobs, backend: backend,
                                               executable: executable, db: db, slurm: slurm, log: note)
        print(result.report)
        if !result.ok { throw ExitCode(1) }
    }
}

struct SlurmTaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "slurm-task",
        abstract: "One array task of a Slurm sweep: runs the cell sweep.json lists at $SLURM_ARRAY_TASK_ID (used by the generated script).")
    @Argument(help: "The sweep's sweep.json.") var manifest: String
    func run() throws {
        guard let raw = ProcessInfo.processInfo.environment["SLURM_ARRAY_TASK_ID"], let index = Int(raw), index >= 0 else {
            throw ValidationError("SLURM_ARRAY_TASK_ID is not set to an array index: run this as a Slurm array task")
        }
        let root = HarnessPaths.current.root
        let outcome = try SlurmTask.run(manifestPath: manifest, index: index, executor: try makeCellExecutor(),
                                        codeVersion: Runner.codeVersion(packageRoot: root), handleSignals: true, log: note)
        if case .ran(let summary) = outcome, summary.failed > 0 { throw ExitCode(1) }
    }
}

struct TableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "table",
        abstract: "Render a paper table from the store (Markdown and LaTeX in results/tables/), beside the reported numbers.")
    @Argument(help: "1…13, or figure2.") var name: String
    @Option(help: "md | tex (default: both).") var format: String?
    @Flag(help: "Print measured vs reported with signed deltas.") var diff = false
    @Option(help: "Profile whose runs to show.") var profile = "quick"
    @Option(help: "Model whose runs to show (default: the profile's).") var model: String?
    @Option(help: "Another profiles file.") var profiles: String?
    @Option(help: "Results store.") var db: String?
    @Option(help: "Folder for the table files (default: tables/ beside --db, else results/tables).") var out: String?
    func run() throws {
        let formats: [TableFormat]
        switch format {
        case nil: formats = [.markdown, .latex]
        case "md", "markdown": formats = [.markdown]
        case "tex", "latex": formats = [.latex]
        default: throw ValidationError("--format must be md or tex, not \(format!)")
        }
        let rendered = try HarnessCommands.table(name, profile: profile, model: model, profiles: profiles,
                                                 formats: formats, diff: diff, db: db, out: out)
        print(rendered.text)
    }
}

struct CompareCommandCLI: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare",
        abstract: "Every method of a table vs MeTA-LoRA on the same items: paired-bootstrap intervals and p-values; exits 1 when a comparison is refused.")
    @Argument(help: "An experiment spec (experiments/table2.yaml) or a table (2, table2).") var specOrTable: String
    @Option(help: "Profile whose runs to compare.") var profile = "quick"
    @Option(help: "Model whose runs to compare (default: the profile's).") var model: String?
    @Option(help: "Another profiles file.") var profiles: String?
    @Option(help: "Results store.") var db: String?
    func run() throws {
        let r = try CompareCommand.run(specOrTable, profile: profile, model: model, profiles: profiles, db: db)
        print(r.text, terminator: "")
        if !r.ok { throw ExitCode(1) }
    }
}

struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "results",
        abstract: "ls | show ID | export --csv|--json | merge [--shards DIR] | recover")
    @Argument(help: "ls, show, export, merge or recover") var action: String
    @Argument(help: "Run id for show; status filter for ls.") var argument: String?
    @Flag(help: "export as CSV") var csv = false
    @Flag(name: .customLong("json"), help: "export as JSON") var asJSON = false
    @Option(help: "Shard folder for merge (default results/shards, or shards/ beside a --db).") var shards: String?
    @Option(help: "Results store.") var db: String?
    func run() throws {
        var verb = action
        if action == "export" {
            guard csv != asJSON else { throw ValidationError("export needs exactly one of --csv, --json") }
            verb = csv ? "export-csv" : "export-json"
        }
        print(try HarnessCommands.results(verb, argument: argument, shards: shards, db: db))
    }
}

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data",
        abstract: "verify the data folder against data-manifest.json, or fetch what is missing.")
    @Argument(help: "verify | fetch") var action: String
    @Option(name: .customLong("data-dir"), help: "The data folder (default ./data).") var dataDir: String?
    @Option(help: "fetch from this mirror: a base URL or a folder (default: the recorded source URLs).") var from: String?
    func run() throws {
        let result: (report: String, ok: Bool)
        switch action {
        case "verify": result = try HarnessCommands.dataVerify(dataDir: dataDir)
        case "fetch": result = try HarnessCommands.dataFetch(from: from, dataDir: dataDir, log: note)
        default: throw ValidationError("data takes verify or fetch, not \(action)")
        }
        print(result.report)
        if !result.ok { throw ExitCode(1) }
    }
}

/// The executor that trains and evaluates a cell with the real engine.
func makeCellExecutor() throws -> CellExecutor {
    EngineCellExecutor(dataDirectory: ProcessInfo.processInfo.environment["METALORA_DATA"], log: note)
}

/// Prints a run's summary; any failed cell makes the command exit 1.
func finish(_ summary: RunSummary) throws {
    print(summary)
    if summary.failed > 0 { throw ExitCode(1) }
}
