import Foundation
import XCTest
import Engine
import Models
import Adapters
import Training
import Harness
import TestSupport

/// The method README "Extending: adding a method" adds: LoRA-FA (Zhang et al. 2023), LoRA whose A
/// stays at its random initialisation and only B trains. Step 1 is this file's `LoRAFAMethod`
/// (one descriptor); step 2 is one line, the catalog that lists it; then plan → run → table on
/// the smoke profile.
enum LoRAFAMethod {
    /// PEFT's initialisation; only B is handed to the optimizer, so A keeps its initial values.
    static let adapter = MethodAdapter { model, hyper, _, rng in
        let parameters = LoRAParameters(config: hyper.loraConfig, model: model)
        parameters.initialiseLikePEFT(rng: &rng)
        return FrozenAAdapter(LoRAAdapter(parameters))
    }

    static let descriptor = MethodDescriptor(
        name: "lora-fa", paperReference: "Zhang et al. 2023 (LoRA-FA)", summary: "LoRA with A frozen at its initialisation",
        loop: .mixedBatch, adapter: adapter, savedKind: "lora", consumption: .epochs(),
        hyperParameters: SharedHyperParameters.adapter + SharedHyperParameters.mixedBatch + SharedHyperParameters.run,
        requiredInSpec: ["lr", "batch_size", "epochs", "rank", "targets"], hashesDefaults: true)
}

/// A LoRA adapter that exposes only its B matrices as trainable parameters.
final class FrozenAAdapter: TrainableAdapter {
    let inner: LoRAAdapter
    init(_ inner: LoRAAdapter) { self.inner = inner }
    var kind: String { inner.kind }
    var namedParameters: [(name: String, value: Tensor, grad: Tensor)] { inner.namedParameters.filter { $0.name.contains(".lora_B.") } }
    func zeroGradients() { inner.zeroGradients() }
    func save(to folder: URL) throws { try inner.save(to: folder) }
    func targets(layer: Int, projection: Projection) -> Bool { inner.targets(layer: layer, projection: projection) }
    func prepare(layout: BatchLayout, training: Bool) { inner.prepare(layout: layout, training: training) }
    func forward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>, ldy: Int,
                 layout: BatchLayout, training: Bool) {
        inner.forward(layer: layer, projection: projection, x: x, ldx: ldx, y: y, ldy: ldy, layout: layout, training: training)
    }
    func backward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int, dy: UnsafePointer<Float>, ldy: Int,
                  dx: UnsafeMutablePointer<Float>, lddx: Int, layout: BatchLayout) {
        inner.backward(layer: layer, projection: projection, x: x, ldx: ldx, dy: dy, ldy: ldy, dx: dx, lddx: lddx, layout: layout)
    }
}

final class AddMethodHarnessTests: HarnessTestCase {
    /// Step 2: the one line.
    static let methods = MethodCatalog(MethodCatalog.standard.descriptors + [LoRAFAMethod.descriptor])

    func testPlanRunTableOfAnAddedMethod() throws {
        let model = try Fixtures.require("tiny-llama/model-f32.gguf").path
        try TestEnv.requireDataMirror()
        let paths = try TestEnv.packageRoot(spec: TestEnv.table9Spec("""
            benchmarks:
              - {name: xstorycloze, shots: 0, subsets: [en], limit: 2}
            methods:
              - name: lora-fa
                label: LoRA-FA
                budgets: [4]
                hyper: {lr: 1.0e-3, batch_size: 2, epochs: 1, rank: 4, targets: [q, v]}
            """), profiles: TestEnv.proofProfiles(model: model, "max_seq_len: 1024"),
            layout: TestEnv.table9Layout(title: "An added method", column: "{header: XStoryCloze, benchmark: xstorycloze}",
                                         row: "{header: LoRA-FA, method: LoRA-FA}"))

        let plan = try HarnessCommands.plan(spec: "experiments/table9.yaml", profile: "proof", paths: paths, methods: Self.methods)
        XCTAssertTrue(plan.contains("LoRA-FA"), plan)
        let executor = EngineCellExecutor(dataDirectory: TestEnv.sharedData.path) { _ in }
        let summary = try HarnessCommands.run(spec: "experiments/table9.yaml", profile: "proof", executor: executor, paths: paths,
                                              methods: Self.methods) { _ in }
        XCTAssertEqual(summary.ran, 1)
        XCTAssertEqual(summary.failed, 0)
        let rendered = try HarnessCommands.table("9", profile: "proof", paths: paths, methods: Self.methods)
        let markdown = try String(contentsOf: try XCTUnwrap(rendered.files.first { $0.pathExtension == "md" }), encoding: .utf8)
        XCTAssertTrue(markdown.contains("LoRA-FA") && (markdown.contains("0.00") || markdown.contains("50.00") || markdown.contains("100.00")), markdown)

        // A stayed where PEFT's initialisation put it; B moved.
        let store = try ResultsStore(path: paths.store.path)
        let run = try XCTUnwrap(try store.runs(status: "done").first)
        let adapterPath = try XCTUnwrap(try store.artifacts(runID: run.id).first { $0.kind == "adapter" }?.path)
        let config = try LanguageModel(path: model).config
        let trained = try PEFTFormat.load(URL(fileURLWithPath: adapterPath), model: config)
        let cell = try XCTUnwrap(try Planner.plan(try ExperimentSpec.load(paths.spec("table9"), methods: Self.methods),
                                                  profile: try Profile.named("proof", in: paths.profiles), model: model).first)
        var rng = SplitMix64(seed: cell.resolved.seed ^ TrainingSeeds.adapterInit)
        let initial = LoRAParameters(config: cell.resolved.loraConfig, model: config)
        initial.initialiseLikePEFT(rng: &rng)
        let before = Dictionary(uniqueKeysWithValues: initial.namedParameters.map { ($0.name, $0.value.array) })
        var movedB = false
        for p in trained.namedParameters {
            let start = try XCTUnwrap(before[p.name], p.name)
            if p.name.contains(".lora_A.") { XCTAssertEqual(p.value.array, start, "\(p.name) must stay frozen") }
            else if p.value.array != start { movedB = true }
        }
        XCTAssertTrue(movedB, "B trained")
    }
}
