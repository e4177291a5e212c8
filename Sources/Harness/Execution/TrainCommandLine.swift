// `metalora train`, parsed here so tests run the same code as the executable:
//   metalora train SPEC.yaml:ENTRY [--profile P] [--seed S] [--budget B] [--grid G] [--model M] [--output DIR] [key=value …]
//   metalora train [--method M] [--setting S] [--budget N|full] [--KEY VALUE | --KEY=VALUE | KEY=VALUE …]
// The first form is one cell of a spec, resolved exactly as `plan` and `run` resolve it (same
// hyper-parameters, data budget and config hash), plus command-line overrides. Hyper-parameters
// are never listed here: they are the method descriptors' keys (`HyperArguments`).
import Foundation
import ArgumentParser
import Engine
import Models
import Training
import struct Data.DataDirectory
import enum Data.SelectionMethod

public struct TrainOptions: ParsableArguments {
    @Option(help: "Plain form: meta-lora | sta | lora | hydralora | rlora | loramoe | lorahub | base (default meta-lora).")
    public var method: String?
    @Option(help: "Plain form: five-task | five-task-winogrande | flanv2-43 | multilingual (default five-task).")
    public var setting: String?
    @Option(help: "Plain form: comma-separated task ids to restrict the setting to.")
    public var tasks: String?
    @Option(help: "A GGUF file or a Hugging Face folder (default: the profile's, or models/SmolLM2-135M-Instruct.Q4_1.gguf).")
    public var model: String?
    @Option(parsing: .unconditional, help: "Examples per task drawn once from each pool ('full' = the whole pool; default 50). With SPEC:ENTRY: which of the entry's budgets.")
    public var budget: String?
    @Option(help: "Plain form: how the budget is picked: random (seeded draw) | bm25 | dsir (top examples per task for --selection-target; Table 13).")
    public var selection: String?
    @Option(help: "Plain form: benchmarks whose evaluation inputs bm25/dsir rank examples against, comma-separated (the paper selects for bbh).")
    public var selectionTarget: String?
    @Option(parsing: .unconditional, help: "Run seed (budgets, sampling, initialisation). With SPEC:ENTRY: default the spec's first seed.")
    public var seed: Int?
    @Option(help: "With SPEC:ENTRY: smoke | quick | small | study | paper (experiments/profiles.yaml; default quick).")
    public var profile: String?
    @Option(help: "With SPEC:ENTRY: another profiles file.")
    public var profiles: String?
    @Option(help: "With SPEC:ENTRY: the grid point's label, for an entry with a grid.")
    public var grid: String?
    @Option(help: "Data mirror (default: $METALORA_DATA or ./data).")
    public var dataDir: String?
    @Option(help: "Output folder (adapter/, loss-curve.jsonl, checkpoint/, result.json).")
    public var output: String = "runs/train"
    @Option(parsing: .unconditional, help: "Threads for OpenBLAS and the engine's loops (default: the profile's, else all cores).")
    public var threads: Int?
    @Option(help: "f32 | bf16: arithmetic of the model's matrix products, attention's included (default f32, or the spec's/profile's).")
    public var precision: String?
    @Option(help: ArgumentHelp(WeightResidency.help)) public var weights: String = "auto"
    @Option(help: "MeTA-LoRA loop: batched | sequential.") public var loop: String = "batched"
    @Option(name: .customLong("recompute-mlp-from"), parsing: .unconditional, help: "Recompute the MLP's gate/up in the backward pass for batches at least this many tokens wide (0 = always; saves ~55% of activation memory for ~12% more compute; default 1024).")
    public var recomputeMLPFrom: Int?
    @Option(parsing: .unconditional, help: "What the backward pass recomputes: auto | none | mlp | layer. auto (default) recomputes gate/up from --recompute-mlp-from tokens and whole layers (only the residual stream kept per layer, one more forward's products) when the activations would exceed 4 GiB; results are bit-identical in every case.")
    public var recompute: String = "auto"
    @Flag(help: "Start from scratch even if the output folder holds a checkpoint.") public var noResume = false
    @Flag(help: "End with one JSON line (method, optimizer_steps, samples_processed, tokens_processed, wall_s, initial/final_eval_loss, adapter; lorahub adds its weights file and the upstream/search split of the counters).")
    public var json = false
    @Argument(parsing: .allUnrecognized,
              help: ArgumentHelp("SPEC.yaml:ENTRY, then hyper-parameters as key=value, --key value or --key=value (listed below).",
                                 valueName: "spec:entry | key=value"))
    public var arguments: [String] = []

    public init() {}

    public func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1 (got \(t))") }
        if let s = seed, s < 0 { throw ValidationError("--seed must be 0 or more (got \(s))") }
        if let v = recomputeMLPFrom, v < 0 { throw ValidationError("--recompute-mlp-from must be 0 or more (got \(v))") }
    }

    public static let usage = """
        metalora train SPEC.yaml:ENTRY [--profile P] [--seed S] [--budget B] [--grid G] [--model M] [--output DIR] [key=value …]
          metalora train [--method M] [--setting S] [--budget N|full] [--KEY VALUE | --KEY=VALUE | KEY=VALUE …] [--output DIR]
        """

    /// `--help`'s text after the options: the two forms and every method's schema (descriptors).
    public static var discussion: String {
        """
        SPEC.yaml:ENTRY trains one cell of a spec exactly as `plan` and `run` resolve it on --profile (the same \
        hyper-parameters, data budget and config hash; `plan` lists the cells), then applies key=value overrides, \
        which change the hash. ENTRY is the entry's label (MeTA-LoRA) or method name (meta-lora). An entry with \
        several budgets or grid points needs --budget or --grid; of several seeds the spec's first is trained \
        unless --seed names one. The plain form trains --method on --setting's tasks with the descriptor's defaults.
        """ + "\n\n" + HyperArguments.helpText()
    }

    /// What `run()` of the command does: the request to train, the lines to print first (legacy
    /// spellings, the cell chosen), the thread count, and the cell when a spec entry was named.
    public struct Invocation {
        public var request: TrainingRequest
        public var notes: [String]
        public var threads: Int
        public var cell: ResolvedCell?
    }

    /// Parses the captured arguments against the descriptors and builds the training request.
    /// Usage mistakes (unknown key, bad value, a key the method lacks, an unknown entry) are
    /// `ValidationError`s (exit 2).
    public func invocation(paths: HarnessPaths = .current, methods: MethodCatalog = .standard,
                           log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> Invocation {
        let (positionals, assignments) = try usage { try HyperArguments.split(arguments) }
        guard positionals.count <= 1 else {
            throw ValidationError("one SPEC.yaml:ENTRY at most (got \(positionals.joined(separator: " "))); hyper-parameters are key=value")
        }
        var options = TrainingOptions(outputDirectory: paths.resolve(output))
        options.resume = !noResume
        options.progress = TrainingProgress.stderrPrinter
        options.log = log
        options.weights = try usage("--weights") {
            guard let w = WeightResidency(rawValue: weights) else { throw HyperArgumentError("must be auto, resident or f32 (got \(weights))") }
            return w
        }
        options.loop = try usage("--loop") {
            guard let l = MetaLoRALoop(rawValue: loop) else { throw HyperArgumentError("must be batched or sequential (got \(loop))") }
            return l
        }
        if let v = recomputeMLPFrom { options.recomputeMLPFromLength = v }
        if recompute != "auto" {
            options.recompute = try usage("--recompute") {
                guard let r = ActivationRecomputation(rawValue: recompute) else {
                    throw HyperArgumentError("must be auto, none, mlp or layer (got \(recompute))")
                }
                return r
            }
        }
        let precision = try self.precision.map { p in try usage("--precision") { try Precision(parsing: p) } }
        let env = ProcessInfo.processInfo.environment

        if let target = positionals.first {
            for (flag, value) in [("--method", method), ("--setting", setting), ("--tasks", tasks), ("--selection", selection),
                                  ("--selection-target", selectionTarget)] where value != nil {
                throw ValidationError("\(flag) comes from the spec entry with \(target); leave it out (or use the plain form)")
            }
            let entry = try SpecEntryTraining.target(target)
            var resolved = try SpecEntryTraining.cell(spec: entry.spec, entry: entry.entry, profile: profile ?? "quick",
                                                      profiles: profiles, model: model, assignments: assignments,
                                                      budget: budget, grid: grid, seed: seed, paths: paths, methods: methods)
            if let precision { resolved.cell.precision = precision }
            let request = try SpecEntryTraining.request(resolved.cell, options: options, dataDirectory: dataDir ?? env["METALORA_DATA"], log: log)
            let profileThreads = try? Profile.named(profile ?? "quick", in: profiles.map(paths.resolve) ?? paths.profiles).threads
            let threads = self.threads ?? env["METALORA_THREADS"].flatMap(Int.init) ?? profileThreads ?? ProcessInfo.processInfo.activeProcessorCount
            return Invocation(request: request, notes: resolved.notes, threads: threads, cell: resolved.cell)
        }

        for (flag, value) in [("--profile", profile), ("--profiles", profiles), ("--grid", grid)] where value != nil {
            throw ValidationError("\(flag) applies to a spec entry: metalora train SPEC.yaml:ENTRY \(flag) …")
        }
        let methodName = method ?? "meta-lora"
        guard let descriptor = methods.descriptor(methodName) else {
            throw ValidationError("--method: unknown method '\(methodName)'; valid: \(methods.names.joined(separator: ", "))")
        }
        let (values, notes) = try usage { try HyperArguments.values(assignments, for: descriptor, catalog: methods) }
        var budgetPerTask: Int? = 50
        if let b = budget {
            if b.lowercased() == "full" { budgetPerTask = nil } else {
                guard let n = Int(b), n > 0 else { throw ValidationError("--budget must be a positive number or 'full' (got \(b))") }
                budgetPerTask = n
            }
        }
        let hyper = try usage { try descriptor.resolve(values, budgetPerTask: budgetPerTask, seed: UInt64(seed ?? 0)) }
        options.precision = precision ?? .f32
        let request = TrainingRequest(method: descriptor.method, setting: setting ?? "five-task",
                                      tasks: tasks.map { $0.split(separator: ",").map { String($0) } },
                                      modelPath: model ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf",
                                      dataDirectory: DataDirectory.resolve(explicit: dataDir), hyper: hyper, options: options,
                                      selection: try dataSelection())
        return Invocation(request: request, notes: notes, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, cell: nil)
    }

    /// `--selection` and `--selection-target` as a request's data selection (nil for random draws).
    func dataSelection() throws -> TrainingDataSelection? {
        let selection = self.selection ?? "random"
        if selection == "random" {
            if selectionTarget != nil { throw ValidationError("--selection-target applies to --selection bm25 or dsir, not random") }
            return nil
        }
        guard let method = SelectionMethod(rawValue: selection) else {
            throw ValidationError("--selection must be random, bm25 or dsir (got \(selection))")
        }
        let names = (selectionTarget ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else {
            throw ValidationError("--selection \(selection) needs --selection-target BENCHMARK[,…] (\(Registry.benchmarks.joined(separator: ", ")))")
        }
        for name in names where !Registry.benchmarks.contains(name) {
            throw ValidationError("--selection-target: unknown benchmark '\(name)'; valid: \(Registry.benchmarks.joined(separator: ", "))")
        }
        return TrainingDataSelection(method: method, target: try SelectionTargets.load(names, dataDirectory: dataDir))
    }

    /// A hyper-parameter mistake as a usage error (exit 2), prefixed with the flag when given.
    func usage<T>(_ flag: String? = nil, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as HyperArgumentError {
            throw ValidationError((flag.map { $0 + ": " } ?? "") + e.description)
        } catch let e as TrainingError {
            throw ValidationError((flag.map { $0 + ": " } ?? "") + "\(e)")
        } catch let e as PrecisionError {
            throw ValidationError((flag.map { $0 + ": " } ?? "") + "\(e)")
        }
    }
}

/// `metalora train SPEC.yaml:ENTRY`: the entry's cell from the same plan `plan` and `run` make.
public enum SpecEntryTraining {
    /// `experiments/table2.yaml:MeTA-LoRA` → the spec path and the entry (split at the last colon).
    public static func target(_ text: String) throws -> (spec: String, entry: String) {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else {
            throw ValidationError("'\(text)' is not SPEC.yaml:ENTRY (e.g. experiments/table2.yaml:MeTA-LoRA); hyper-parameters are key=value")
        }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The entry a name picks: its label (exactly, then ignoring case), else its method's name
    /// when one entry has that method.
    public static func findEntry(_ name: String, in spec: ExperimentSpec) throws -> MethodEntry {
        if let e = spec.methods.first(where: { $0.label == name }) { return e }
        let folded = spec.methods.filter { $0.label.lowercased() == name.lowercased() }
        if folded.count == 1 { return folded[0] }
        let byMethod = spec.methods.filter { $0.method == name.lowercased() }
        if byMethod.count == 1 { return byMethod[0] }
        let listing = spec.methods.map { "\($0.label) (\($0.method))" }.joined(separator: ", ")
        if byMethod.count > 1 {
            throw ValidationError("\(spec.name) has \(byMethod.count) entries of method \(name): give the label, one of \(byMethod.map(\.label).joined(separator: ", "))")
        }
        throw ValidationError("\(spec.name) has no entry '\(name)'; its entries: \(listing)")
    }

    /// The one cell `metalora train SPEC:ENTRY` trains, with notes saying which one it is.
    /// `assignments` are checked against the entry's method (an unknown key, a key of another
    /// method or a bad value is a `ValidationError`); `budget`, `grid` and `seed` pick among the
    /// entry's cells (several budgets or grid points need one; of several seeds the first is taken).
    public static func cell(spec specPath: String, entry name: String, profile profileName: String, profiles: String? = nil,
                            model: String? = nil, assignments: [HyperArguments.Assignment] = [], budget: String? = nil,
                            grid: String? = nil, seed: Int? = nil, paths: HarnessPaths = .current,
                            methods: MethodCatalog = .standard) throws -> (cell: ResolvedCell, notes: [String]) {
        let loaded = try HarnessCommands.load(specPath, profileName, profiles: profiles, paths: paths, methods: methods)
        var spec = loaded.0
        let profile = loaded.1
        let entry = try findEntry(name, in: spec)
        let descriptor = Registry.method(entry.method, in: spec.catalog)!.descriptor
        let parsed: (values: [String: HyperValue], notes: [String])
        do { parsed = try HyperArguments.values(assignments, for: descriptor, catalog: spec.catalog) } catch let e as HyperArgumentError {
            throw ValidationError("\(entry.label): \(e.description)")
        }
        let values = parsed.values
        var notes = parsed.notes
        if let seed {
            if !spec.seeds.contains(seed) {
                notes.append("note: seed \(seed) is not one of \(spec.name)'s seeds (\(spec.seeds.map(String.init).joined(separator: ", "))); training it anyway")
            }
            spec.seeds = [seed]
        }
        let all = try Planner.plan(spec, profile: profile, model: model, overrides: HyperOverrides(values, entryLabel: entry.label))
        var cells = all.filter { $0.methodLabel == entry.label }
        let budgets = unique(cells.map(\.budget.description))
        if let budget {
            cells = cells.filter { $0.budget.description == budget.lowercased() }
            if cells.isEmpty { throw ValidationError("--budget \(budget): \(entry.label) has budgets \(budgets.joined(separator: ", "))") }
        } else if budgets.count > 1 {
            throw ValidationError("\(entry.label) has budgets \(budgets.joined(separator: ", ")): give --budget (one of them)")
        }
        let points = unique(cells.compactMap(\.gridLabel))
        if let grid {
            cells = cells.filter { $0.gridLabel == grid }
            if cells.isEmpty {
                throw ValidationError("--grid \(grid): " + (points.isEmpty ? "\(entry.label) has no grid" : "\(entry.label)'s grid points: \(points.joined(separator: ", "))"))
            }
        } else if points.count > 1 {
            throw ValidationError("\(entry.label) has grid points \(points.joined(separator: ", ")): give --grid (one of them)")
        }
        let seeds = unique(cells.map { String($0.seed) })
        guard let cell = cells.first else { throw ValidationError("\(entry.label) has no cell on profile \(profile.name)") }
        if seeds.count > 1 {
            notes.append("note: \(entry.label) has seeds \(seeds.joined(separator: ", ")) on profile \(profile.name): training seed \(cell.seed) (--seed picks another)")
        }
        if descriptor.hooks.composesPerSubset {
            notes.append("note: \(descriptor.name) composes its upstream LoRAs for the training mixture here; `run` composes one per evaluated subset")
        }
        notes.append("cell \(cell.index) of \(spec.name) on profile \(profile.name): \(cell.methodLabel), budget \(cell.budget)"
                     + (cell.gridLabel.map { ", grid \($0)" } ?? "") + ", seed \(cell.seed), config hash \(cell.configHash.prefix(12))"
                     + (cell.overrides.isEmpty ? "" : "; " + cell.overrides.joined(separator: "; ")))
        return (cell, notes)
    }

    /// The cell as the request `run` would train (CellTraining), writing to `options`' output
    /// folder with the command's resume, progress and engine options.
    public static func request(_ cell: ResolvedCell, options: TrainingOptions, dataDirectory: String?,
                               log: @escaping (String) -> Void) throws -> TrainingRequest {
        var request = try CellTraining.request(cell, method: cell.descriptor.method, checkpointDir: options.outputDirectory,
                                               dataDirectory: dataDirectory, log: log, progress: { _ in })
        var o = options
        o.precision = cell.precision
        o.record = request.options.record
        request.options = o
        return request
    }

    static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
