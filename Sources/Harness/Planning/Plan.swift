// plan(spec, profile): one resolved cell per method entry × budget × grid point × seed, each with
// its canonical config JSON, config hash and estimated cost. Nothing is run.
import Foundation
import Engine
import Training

/// Estimated work of one cell (Table 7's counters): training samples and optimizer steps,
/// evaluation examples (nil = the full test sets) and an upper bound on training tokens.
public struct CostEstimate: Equatable, Sendable {
    public let trainSamples: Int
    public let optimizerSteps: Int
    public let trainTokensUpperBound: Int?
    public let evalExamplesPerSubset: Int?
}

public struct ResolvedCell: Sendable {
    public let spec: String
    public let table: String
    public let index: Int
    public let methodLabel: String
    public let method: String
    /// The method's descriptor (not hashed: its name and, where it says so, its defaults are).
    public let descriptor: MethodDescriptor
    public let setting: String
    public let budget: DataBudget
    /// Examples per task actually used (after the profile's cap); nil = the whole pool.
    public let examplesPerTask: Int?
    public let selection: String
    /// Benchmarks whose evaluation inputs a bm25/dsir selection ranks examples against; empty for random.
    public let selectionTarget: [String]
    /// Training tasks: the spec's, else those of the setting the mirror holds (Flanv2 without DROP).
    public let tasks: [String]
    public let gridLabel: String?
    public let seed: Int
    public let profile: String
    public let model: String
    /// Hyper-parameters after the grid point and the profile (epochs resolved for this budget).
    public let hyper: [String: JSONValue]
    public let benchmarks: [BenchmarkSpec]
    public let evalLimit: Int?
    public let maxSeqLen: Int?
    /// Every value the profile changed, e.g. "iterations 1000 → 20".
    public let overrides: [String]
    public let cost: CostEstimate
    /// Arithmetic of the frozen base's products: the spec's `precision`, else the profile's, else f32.
    public var precision: Precision = .f32
    /// Each training task's held-out draw size (the profile's `held_out_per_task`); nil = 32.
    public var heldOutPerTask: Int? = nil
    /// The hyper-parameters the trainer will use (descriptor defaults, spec, grid, profile).
    public let resolved: TrainingHyperParameters

    /// The canonical configuration: everything that determines the result, nothing that only
    /// names it (labels, spec, profile name), so identical cells in different tables share a hash.
    public var config: JSONValue {
        var o: [String: JSONValue] = [
            "config_version": .int(1),
            "method": .string(method), "setting": .string(setting), "budget": .string(budget.description),
            "selection": .string(selection), "seed": .int(seed), "model": .string(model),
            "hyper": .object(hyper), "benchmarks": .array(benchmarks.map(\.json)),
            "tasks": .array(tasks.map(JSONValue.string)),
        ]
        o["examples_per_task"] = examplesPerTask.map(JSONValue.int) ?? .null
        o["eval_limit"] = evalLimit.map(JSONValue.int) ?? .null
        o["max_seq_len"] = maxSeqLen.map(JSONValue.int) ?? .null
        // Only selected cells carry a target, so random cells keep the hashes they always had.
        if !selectionTarget.isEmpty { o["selection_target"] = .array(selectionTarget.map(JSONValue.string)) }
        // f32 is the default and the reference, so f32 cells keep the hashes they always had.
        if precision != .f32 { o["precision"] = .string(precision.rawValue) }
        // The held-out draw decides which examples budgets may use: part of the data, hashed when set.
        if let h = heldOutPerTask { o["held_out_per_task"] = .int(h) }
        // Methods whose descriptors hash their defaults: a changed default gives a new cell.
        let defaults = descriptor.hashedDefaults
        if !defaults.isEmpty { o["method_defaults"] = .object(defaults.mapValues(JSONValue.init)) }
        return .object(o)
    }
    public var configJSON: String { config.canonical }
    public var configHash: String { config.sha256 }

    /// Naming information stored beside the config (not hashed).
    public var labels: JSONValue {
        .object(["spec": .string(spec), "table": .string(table), "method_label": .string(methodLabel),
                 "grid_label": gridLabel.map(JSONValue.string) ?? .null, "profile": .string(profile),
                 "overrides": .array(overrides.map(JSONValue.string)), "precision": .string(precision.rawValue)])
    }
}

public enum PlanError: Error, CustomStringConvertible {
    case modelRequired(profile: String)
    public var description: String {
        switch self {
        case .modelRequired(let p): return "profile '\(p)' names no model: give one with --model PATH (e.g. a LLaMA-2-7B checkpoint)"
        }
    }
}

public enum Planner {
    /// Resolves every cell of the spec on the profile. `model` overrides the profile's model path.
    /// `overrides`: values given on the command line (`key=value`), set after the profile's changes.
    public static func plan(_ spec: ExperimentSpec, profile: Profile, model: String? = nil,
                            overrides cliOverrides: HyperOverrides = HyperOverrides()) throws -> [ResolvedCell] {
        guard let modelPath = model ?? profile.model else { throw PlanError.modelRequired(profile: profile.name) }
        let setting = Registry.setting(spec.setting)!
        let tasks = spec.tasks ?? setting.presentTasks
        let taskCount = spec.tasks?.count ?? (tasks.isEmpty ? setting.taskCount : tasks.count)
        var seeds = spec.seeds
        if let m = profile.maxSeeds, seeds.count > m { seeds = Array(seeds.prefix(m)) }
        var cells: [ResolvedCell] = []
        // A capped profile scales every per-task budget of the spec by one factor (the smallest
        // budget becomes the cap), so data-scale tables (6, 12, Figure 2) keep distinct budgets
        // in the paper's ratios instead of cutting 50 and 100 both to the cap.
        let smallestBudget = spec.methods.flatMap(\.budgets).compactMap { b -> Int? in
            if case .perTask(let n) = b { return n } else { return nil }
        }.min()
        for entry in spec.methods {
            let schema = Registry.method(entry.method, in: spec.catalog)!
            let points: [GridPoint?] = entry.grid.isEmpty ? [nil] : entry.grid
            for budget in entry.budgets {
                for point in points {
                    // Nothing of an untrained cell depends on the seed: one run serves every seed.
                    for seed in schema.descriptor.loop == .none ? Array(seeds.prefix(1)) : seeds {
                        var overrides: [String] = []
                        var hyper = entry.hyper
                        for (k, v) in point?.values ?? [:] { hyper[k] = v }
                        if case .object(let byBudget)? = hyper["epochs"] { hyper["epochs"] = byBudget[budget.description] }
                        if let f = profile.sampleScale, let it = hyper["iterations"]?.intValue {
                            let scaled = max(1, Int((Double(it) * f).rounded()))
                            hyper["iterations"] = .int(scaled)
                            overrides.append("iterations \(it) → \(scaled) (×\(JSONValue.double(f).canonical))")
                        }
                        if let cap = profile.maxIterations, let it = hyper["iterations"]?.intValue, it > cap {
                            hyper["iterations"] = .int(cap); overrides.append("iterations \(it) → \(cap)")
                        }
                        if let cap = profile.maxEpochs, let ep = hyper["epochs"]?.intValue, ep > cap {
                            hyper["epochs"] = .int(cap); overrides.append("epochs \(ep) → \(cap)")
                        }
                        for rate in Profile.scalableRates {
                            if let f = profile.rateScale[rate], let v = hyper[rate]?.doubleValue {
                                // Rounded to 12 significant digits so 2e-06 × 100 reads (and hashes) as 0.0002.
                                let scaled = Double(String(format: "%.12g", v * f)) ?? v * f
                                hyper[rate] = .double(scaled)
                                overrides.append("\(rate) \(JSONValue.double(v).canonical) → \(JSONValue.double(scaled).canonical) (×\(JSONValue.double(f).canonical))")
                            }
                        }
                        var perTask: Int? = nil
                        switch budget {
                        case .perTask(let n):
                            perTask = n
                            if let cap = profile.maxExamplesPerTask, let smallest = smallestBudget, smallest > cap {
                                let scaled = max(1, Int((Double(n) * Double(cap) / Double(smallest)).rounded()))
                                perTask = scaled; overrides.append("examples per task \(n) → \(scaled)")
                            }
                        case .full:
                            if let f = profile.sampleScale {
                                // Table 3's full-data size scaled like MeTA-LoRA's iterations, so the
                                // Table 7 ratio of samples holds on the profile.
                                let scaled = max(1, Int((Double(setting.paperFullSamples) * f / Double(setting.taskCount)).rounded()))
                                perTask = min(scaled, profile.fullExamplesPerTask ?? scaled)
                                overrides.append("full data → \(perTask!) examples per task (×\(JSONValue.double(f).canonical) of the paper's \(setting.paperFullSamples))")
                            } else if let cap = profile.fullExamplesPerTask ?? profile.maxExamplesPerTask {
                                perTask = cap; overrides.append("full data → \(cap) examples per task")
                            }
                        case .none: break
                        }
                        var seqLen: Int? = profile.maxSeqLen
                        if let s = hyper["max_seq_len"]?.intValue { seqLen = min(s, seqLen ?? s) }
                        cliOverrides.apply(to: entry, descriptor: schema.descriptor, hyper: &hyper, maxSeqLen: &seqLen,
                                           perTask: perTask, seed: seed, notes: &overrides)
                        if profile.evalLimit != nil { overrides.append("eval ≤ \(profile.evalLimit!) examples per subset") }
                        let resolved: TrainingHyperParameters
                        do {
                            resolved = try CellTraining.resolve(schema.descriptor, hyper: hyper, perTask: perTask, maxSeqLen: seqLen, seed: seed)
                        } catch {
                            throw SpecError(file: spec.file, line: entry.line, field: "methods[\(entry.label)].hyper", message: "\(error)")
                        }
                        let cost = estimateCost(schema.descriptor, resolved: resolved, setting: setting, taskCount: taskCount,
                                                perTask: perTask, evalLimit: profile.evalLimit)
                        var cell = ResolvedCell(
                            spec: spec.name, table: spec.table, index: cells.count, methodLabel: entry.label, method: entry.method,
                            descriptor: schema.descriptor,
                            setting: spec.setting, budget: budget, examplesPerTask: perTask, selection: entry.selection,
                            selectionTarget: selectionTarget(entry, spec), tasks: tasks,
                            gridLabel: point?.label, seed: seed, profile: profile.name, model: modelPath, hyper: hyper,
                            benchmarks: benchmarks(spec, profile), evalLimit: profile.evalLimit, maxSeqLen: seqLen,
                            overrides: overrides, cost: cost, resolved: resolved)
                        cell.precision = spec.precision ?? profile.precision ?? .f32
                        cell.heldOutPerTask = profile.heldOutPerTask
                        cells.append(cell)
                    }
                }
            }
        }
        // `train SPEC:ENTRY` overrides one entry and takes one of its cells: an override may make
        // its grid points (or it and another entry) alike, which is no spec mistake.
        if cliOverrides.entryLabel == nil { try requireDistinctConfigurations(cells, spec: spec) }
        return cells
    }

    /// The spec's benchmarks, then the profile's additions that the spec does not already score.
    static func benchmarks(_ spec: ExperimentSpec, _ profile: Profile) -> [BenchmarkSpec] {
        let present = Set(spec.benchmarks.map(\.key))
        return spec.benchmarks + profile.benchmarks.filter { !present.contains($0.key) }
    }

    /// Two cells with one configuration (say, two entries differing only in label, or grid points
    /// that set the same values) would run once and fill two rows of a table with one result.
    static func requireDistinctConfigurations(_ cells: [ResolvedCell], spec: ExperimentSpec) throws {
        var first: [String: ResolvedCell] = [:]
        for c in cells {
            if let earlier = first[c.configHash] {
                func name(_ c: ResolvedCell) -> String {
                    "'\(c.methodLabel)' budget \(c.budget)\(c.gridLabel.map { " grid \($0)" } ?? "") seed \(c.seed)"
                }
                throw SpecError(file: spec.file, line: 0, field: "methods",
                                message: "cells \(earlier.index) (\(name(earlier))) and \(c.index) (\(name(c))) have the same configuration "
                                    + "(hash \(c.configHash.prefix(12))): they would share one run; make them differ or remove one")
            }
            first[c.configHash] = c
        }
    }

    /// The entry's `selection_target`, else the spec's benchmarks (each name once); none for random draws.
    static func selectionTarget(_ entry: MethodEntry, _ spec: ExperimentSpec) -> [String] {
        guard entry.selection != "random" else { return [] }
        if let names = entry.selectionTarget { return names }
        var seen = Set<String>()
        return spec.benchmarks.map(\.name).filter { seen.insert($0).inserted }
    }

    /// Table 7 / Appendix A.2: the descriptor's sample formula over the resolved values (MeTA-LoRA:
    /// iterations × n × (k·n_s + n_q) = 1000 × 2 × (3·8 + 8) = 64,000; the baselines epochs × examples
    /// of the mirror's full pools), and tokens ≤ samples × max_seq_len.
    static func estimateCost(_ descriptor: MethodDescriptor, resolved: TrainingHyperParameters, setting: SettingInfo, taskCount: Int,
                             perTask: Int?, evalLimit: Int?) -> CostEstimate {
        let pool = setting.mirrorPool ?? setting.paperFullSamples
        let (samples, steps) = descriptor.consumption.estimate(ConsumptionInput(hyper: resolved, taskCount: taskCount, perTask: perTask,
                                                                                fullPool: pool))
        return CostEstimate(trainSamples: samples, optimizerSteps: steps, trainTokensUpperBound: resolved.maxSeqLen * samples,
                            evalExamplesPerSubset: evalLimit)
    }

    /// The plan as text: one line per cell with its hash, labels, cost and overrides.
    public static func describe(_ cells: [ResolvedCell]) -> String {
        var lines = ["#    hash          method               budget  grid      seed  steps     samples    tokens≤      eval/subset"]
        for c in cells {
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
            lines.append(pad(String(c.index), 5) + pad(String(c.configHash.prefix(12)), 14) + pad(c.methodLabel, 21)
                         + pad(c.budget.description, 8) + pad(c.gridLabel ?? "-", 10) + pad(String(c.seed), 6)
                         + pad(String(c.cost.optimizerSteps), 10) + pad(String(c.cost.trainSamples), 11)
                         + pad(c.cost.trainTokensUpperBound.map(String.init) ?? "?", 13) + (c.evalLimit.map(String.init) ?? "all"))
        }
        let samples = cells.reduce(0) { $0 + $1.cost.trainSamples }
        lines.append("\(cells.count) cells, \(samples) training samples in total")
        if let first = cells.first {
            lines.append("profile \(first.profile), model \(first.model)")
            let ov = Array(Set(cells.flatMap(\.overrides))).sorted()
            if !ov.isEmpty { lines.append("profile overrides: " + ov.joined(separator: "; ")) }
        }
        lines += PlanProportions.lines(cells)
        return lines.joined(separator: "\n")
    }
}

/// Hyper-parameter values given on the command line (`metalora train SPEC:ENTRY key=value`,
/// `plan`/`run SPEC key=value`), each checked against the method's schema. They are set on a cell
/// after the profile, so the cell trains with exactly the value typed; each one that changes a
/// value is listed with the cell's overrides ("alpha 0.0005 → 0.0001 (command line)") and, being
/// part of `hyper`, changes the config hash. A value the cell already has changes nothing.
public struct HyperOverrides: Sendable {
    public var values: [String: HyperValue]
    /// Only the entry with this label; nil = every entry whose method has the key.
    public var entryLabel: String?
    public init(_ values: [String: HyperValue] = [:], entryLabel: String? = nil) {
        self.values = values; self.entryLabel = entryLabel
    }
    public var isEmpty: Bool { values.isEmpty }

    func apply(to entry: MethodEntry, descriptor: MethodDescriptor, hyper: inout [String: JSONValue], maxSeqLen: inout Int?,
               perTask: Int?, seed: Int, notes: inout [String]) {
        if values.isEmpty { return }
        if let label = entryLabel, label != entry.label { return }
        let applicable = values.filter { descriptor.parameter($0.key) != nil }
        if applicable.isEmpty { return }
        let before = try? CellTraining.resolve(descriptor, hyper: hyper, perTask: perTask, maxSeqLen: maxSeqLen, seed: seed)
        for (key, value) in applicable.sorted(by: { $0.key < $1.key }) {
            // The value the cell would train with anyway: nothing changes, nor does the hash.
            if hyper[key]?.hyperValue == value || before?.value(key) == value { continue }
            let was = hyper[key].map { $0.hyperValue?.description ?? $0.canonical } ?? before?.value(key)?.description ?? "default"
            hyper[key] = JSONValue(value)
            if key == "max_seq_len", let n = value.intValue { maxSeqLen = n }
            notes.append("\(key) \(was) → \(value) (command line)")
        }
    }
}
