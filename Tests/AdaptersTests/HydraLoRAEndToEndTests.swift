import XCTest
import Engine
import Models
import Adapters
import TestSupport

// Shared end-to-end checks for the multi-head adapters on the tiny fixture model: the decoder's
// gradient of single parameter elements against a central finite difference of the loss, and
// AdamW steps on one fixed batch lowering the loss.

/// A fixed batch of 4 sequences × 10 tokens (the last row right-padded), loss on all but the first 3
/// tokens, sequence groups (tasks) as given.
func endToEndBatch(groups: [Int] = [0, 1, 2, 0], seed: UInt64 = 21) -> TokenBatch {
    var rng = SplitMix64(seed: seed)
    let t = 10
    var ids: [[Int]] = [], mask: [[Int]] = [], labels: [[Int]] = []
    for b in 0..<groups.count {
        let real = b == groups.count - 1 ? 7 : t
        let row = (0..<t).map { $0 < real ? 3 + Int(rng.next() % 250) : 0 }
        ids.append(row)
        mask.append((0..<t).map { $0 < real ? 1 : 0 })
        labels.append((0..<t).map { $0 < 3 || $0 >= real ? -100 : row[$0] })
    }
    return TokenBatch(inputIds: ids, attentionMask: mask, labels: labels, sequenceGroups: groups)
}

func tinyModel() throws -> LanguageModel { try LanguageModel(url: Fixtures.require("tiny-llama")) }

/// Gives every parameter small random values so every gradient is non-zero.
func randomise(_ adapter: TrainableAdapter, std: Double, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    for (_, v, _) in adapter.namedParameters { for i in 0..<v.count { v.data[i] = Float(rng.nextNormal() * std) } }
}

/// For each parameter whose name contains one of `names`, the element with the largest |gradient|
/// is checked against (L(θ+h) − L(θ−h)) / 2h, relative tolerance 1e-2.
func checkDecoderGradients(_ adapter: TrainableAdapter, model: LanguageModel, batch: TokenBatch, names: [String],
                           training: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
    model.decoder.adapter = adapter
    defer { model.decoder.adapter = nil }
    let acts = DecoderActivations(config: model.config, batch: batch.batch, seqLen: batch.seqLen, saveForBackward: true)
    adapter.zeroGradients()
    try model.decoder.lossAndGradients(batch, acts, training: training)
    var checked = 0
    for (name, value, grad) in adapter.namedParameters where names.contains(where: { name.contains($0) }) {
        let g = grad.array
        let i = g.indices.max { abs(g[$0]) < abs(g[$1]) }!
        XCTAssertGreaterThan(abs(g[i]), 1e-5, "\(name): gradient is ~0, nothing to check", file: file, line: line)
        let keep = value.data[i], h: Float = 2e-3 * max(1, abs(keep))
        value.data[i] = keep + h
        let lp = try model.decoder.lossAndGradients(batch, acts, backward: false, training: training).meanNLL
        value.data[i] = keep - h
        let lm = try model.decoder.lossAndGradients(batch, acts, backward: false, training: training).meanNLL
        value.data[i] = keep
        let fd = (lp - lm) / Double(2 * h)
        print("\(adapter.kind) decoder gradient \(name)[\(i)]: analytic \(g[i]), finite difference \(fd)")
        XCTAssertEqual(Double(g[i]), fd, accuracy: 1e-2 * abs(fd) + 2e-5, "\(name)[\(i)]", file: file, line: line)
        checked += 1
    }
    XCTAssertGreaterThan(checked, 0, "no parameter matched \(names)", file: file, line: line)
}

/// `steps` AdamW steps on one batch; returns (first loss, last loss).
func trainSteps(_ adapter: TrainableAdapter, model: LanguageModel, batch: TokenBatch, steps: Int = 50, lr: Double = 1e-2,
                beforeStep: (Int) -> Void = { _ in }) throws -> (first: Double, last: Double) {
    model.decoder.adapter = adapter
    defer { model.decoder.adapter = nil }
    let acts = DecoderActivations(config: model.config, batch: batch.batch, seqLen: batch.seqLen, saveForBackward: true)
    let group = ParameterGroup(name: adapter.kind, parameters: adapter.namedParameters.map { Parameter(name: $0.name, value: $0.value, grad: $0.grad) },
                               lr: lr)
    let optimizer = AdamW(groups: [group])
    var first = 0.0
    for step in 0..<steps {
        beforeStep(step)
        adapter.zeroGradients()
        let loss = try model.decoder.lossAndGradients(batch, acts).meanNLL
        if step == 0 { first = loss }
        optimizer.step()
    }
    let last = try model.decoder.lossAndGradients(batch, acts, backward: false, training: false).meanNLL
    return (first, last)
}

/// The adapter as initialised leaves the base model's logits unchanged, and 50 AdamW steps on
/// `batch` lower its loss by more than 0.5.
func checkStartsAtBaseAndTrains(_ adapter: TrainableAdapter, model: LanguageModel, batch: TokenBatch, label: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
    let base = try model.decoder.logits(for: batch).array
    model.decoder.adapter = adapter
    XCTAssertEqual(try model.decoder.logits(for: batch).array, base, "B = 0 at init: output equals the base model", file: file, line: line)
    model.decoder.adapter = nil
    let (first, last) = try trainSteps(adapter, model: model, batch: batch)
    print("\(label) 50 AdamW steps: loss \(first) -> \(last)")
    XCTAssertLessThan(last, first - 0.5, file: file, line: line)
}

/// Saves `adapter` into a fresh temporary folder named after `prefix`, loads it back with `load`,
/// checks that kind, names and values survived, and returns the loaded adapter and its folder
/// (which the caller removes; on an error it is removed here).
func saveAndReload<Loaded: TrainableAdapter>(_ adapter: TrainableAdapter, prefix: String, load: (URL) throws -> Loaded,
                                              file: StaticString = #filePath, line: UInt = #line) throws -> (loaded: Loaded, dir: URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    let loaded: Loaded
    do {
        try adapter.save(to: dir)
        loaded = try load(dir)
    } catch {
        try? FileManager.default.removeItem(at: dir)
        throw error
    }
    XCTAssertEqual(loaded.kind, adapter.kind, file: file, line: line)
    XCTAssertEqual(loaded.namedParameters.map(\.name), adapter.namedParameters.map(\.name), file: file, line: line)
    for (x, y) in zip(loaded.namedParameters, adapter.namedParameters) { XCTAssertEqual(x.value.array, y.value.array, x.name, file: file, line: line) }
    return (loaded, dir)
}

final class HydraLoRAEndToEndTests: XCTestCase {
    func testDecoderGradientsMatchFiniteDifferences() throws {
        let model = try tinyModel()
        let adapter = HydraLoRAAdapter(model: model.config, tasks: 3, rank: 4, alpha: 8, targets: [.q, .v, .o, .down], seed: 1)
        randomise(adapter, std: 0.1, seed: 2)
        try checkDecoderGradients(adapter, model: model, batch: endToEndBatch(),
                                  names: ["layers.0.self_attn.q_proj", "layers.1.self_attn.o_proj", "layers.1.mlp.down_proj"])
    }

    func testStartsAtTheBaseModelAndAdamWLowersTheLoss() throws {
        let model = try tinyModel()
        let adapter = HydraLoRAAdapter(model: model.config, tasks: 3, rank: 4, alpha: 8, seed: 1)
        try checkStartsAtBaseAndTrains(adapter, model: model, batch: endToEndBatch(), label: "HydraLoRA")
    }

    func testSaveLoadRoundTripAndRefusals() throws {
        let model = try tinyModel()
        let adapter = HydraLoRAAdapter(model: model.config, tasks: 3, rank: 4, alpha: 8, targets: [.q, .up], seed: 1)
        randomise(adapter, std: 0.1, seed: 3)
        let (loaded, dir) = try saveAndReload(adapter, prefix: "hydra") { try MultiHeadFormat.load($0, model: model.config) }
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(loaded.kind, "hydralora")
        XCTAssertEqual(loaded.config, adapter.config)
        XCTAssertNil(loaded.initial)
        let names = adapter.namedParameters.map(\.name)
        XCTAssertTrue(names.contains("model.layers.1.mlp.up_proj.lora_B.2.weight"))
        XCTAssertTrue(names.contains("model.layers.0.self_attn.q_proj.lora_router.weight"))
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("adapter_config.json"))) as? [String: Any])
        XCTAssertEqual(config["kind"] as? String, "hydralora")
        XCTAssertEqual(config["lora_nums"] as? Int, 3)
        XCTAssertEqual(config["target_modules"] as? [String], ["q_proj", "up_proj"])

        // Wrong kind, wrong layer count, wrong shape: clear errors.
        XCTAssertThrowsError(try LoRAMoEAdapter.load(dir, model: model.config)) { XCTAssertTrue("\($0)".contains("kind"), "\($0)") }
        var fewer = model.config
        fewer.layerCount = 1
        XCTAssertThrowsError(try MultiHeadFormat.load(dir, model: fewer)) { XCTAssertTrue("\($0)".contains("layers"), "\($0)") }
        var json = config
        json["r"] = 8
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("adapter_config.json"))
        XCTAssertThrowsError(try MultiHeadFormat.load(dir, model: model.config)) { XCTAssertTrue("\($0)".contains("lora_A"), "\($0)") }
    }
}
