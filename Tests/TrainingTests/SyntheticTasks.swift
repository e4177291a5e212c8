import Foundation
import Engine
import Models
import Data
import Training
import TestSupport

/// Short made-up tasks for the tiny byte-level model (vocab 256, 128 positions): the real
/// prompts would not fit. Each maps a random 4-letter word to a transformed word.
enum SyntheticTasks {
    static let transforms: [(id: String, tag: String, apply: (String) -> String)] = [
        ("reverse", "R", { String($0.reversed()) }),
        ("upper", "U", { $0.uppercased() }),
        ("shift", "S", { String($0.unicodeScalars.map { Character(UnicodeScalar($0.value == 122 ? 97 : $0.value + 1)!) }) }),
        ("double", "D", { String($0.prefix(2)) + String($0.prefix(2)) }),
    ]

    /// A prompt format short enough for the tiny model: "<tag>:<word>>" then the answer.
    static let format = PromptFormat.chat(ChatTemplate(name: "synthetic") { _, user in user + ">" })

    static func spec(_ id: String) -> TaskSpec {
        TaskSpec(id: id, name: id, cluster: "synthetic", sourceFiles: [], instruction: "", targetForm: "word") { _, _ in [] }
    }

    /// Pools of `poolSize` examples per task (a quarter held out), budgets of `budget` drawn with `seed`.
    /// `longPromptEvery[task] = k`: every k-th example of that task's pool gets a prompt longer than
    /// `maxLength`, so all its answer tokens are cut (k = 1: all of them).
    static func make(poolSize: Int = 96, budget: Int = 40, seed: UInt64 = 7, evalExamplesPerTask: Int = 16,
                     taskCount: Int = 4, maxLength: Int = 64, longPromptEvery: [String: Int] = [:]) throws -> TrainingTasks {
        var rng = SplitMix64(seed: 1234)
        var pools: [TaskPool] = [], budgets: [TaskBudget] = []
        for t in transforms.prefix(taskCount) {
            let examples = (0..<poolSize).map { row -> TrainingExample in
                let word = String((0..<4).map { _ in Character(UnicodeScalar(97 + Int(rng.next() % 26))!) })
                return TrainingExample(id: "\(t.id):synthetic:\(row + 1)", instruction: t.tag + ":", input: "",
                                       output: t.apply(word), task: t.id, cluster: "synthetic")
                    .withInstruction((longPromptEvery[t.id].map { row % $0 == 0 } ?? false ? String(repeating: "x", count: maxLength) : "")
                                     + t.tag + ":" + word)
            }
            let pool = TaskPool(task: spec(t.id), examples: examples, heldOutCount: poolSize / 4)
            pools.append(pool)
            budgets.append(try TaskBudget.draw(from: pool, size: budget, seed: seed))
        }
        let tokenizer = try ExampleTokenizer(format: format, maxLength: maxLength, eosID: 2) { text in text.utf8.map { Int($0) } }
        return TrainingTasks(pools: pools, budgets: budgets, tokenizer: tokenizer, evalExamplesPerTask: evalExamplesPerTask)
    }

    static func tinyModel() throws -> LanguageModel { try LanguageModel(url: Fixtures.require("tiny-llama")) }

    /// Small-model settings: rank 4, fast rates, no periodic checkpoints.
    static func hyper(_ method: TrainingMethod) -> TrainingHyperParameters {
        var h = TrainingHyperParameters.defaults(for: method, budgetPerTask: 40)
        h.rank = 4; h.loraAlpha = 8
        h.tasksPerIteration = 2; h.supportSize = 4; h.querySize = 4; h.adaptationSteps = 2
        // Release runs a few hundred steps at moderate rates; debug runs (unoptimised SIMD
        // kernels, ~50× slower) a few dozen steps at higher rates.
        h.alpha = isDebugBuild ? 0.1 : 0.05
        h.beta = isDebugBuild ? 2e-2 : 5e-3
        h.lr = isDebugBuild ? 2e-2 : 5e-3
        h.epochs = 10
        h.maxSeqLen = 64
        h.evalExamplesPerTask = 16
        h.checkpointEvery = 0
        h.seed = 11
        return h
    }

    /// Debug builds run the engine's SIMD kernels unoptimised (~50× slower): they train fewer steps.
    static var isDebugBuild: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }

    static func temporaryDirectory(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("metalora-training-tests")
            .appendingPathComponent("\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension TrainingExample {
    func withInstruction(_ instruction: String) -> TrainingExample {
        var copy = self
        copy.instruction = instruction
        return copy
    }
}
