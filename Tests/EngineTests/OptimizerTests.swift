import XCTest
import Engine
import Models

final class OptimizerTests: XCTestCase {
    /// Fresh parameters with deterministic values; gradients are refilled per step by `fillGrads`.
    func makeParams(seed: UInt64, prefix: String) -> [Parameter] {
        var rng = SplitMix64(seed: seed)
        return [("a", [3, 5]), ("b", [17]), ("c", [2, 2, 9])].map { name, shape in
            let n = shape.reduce(1, *)
            return Parameter(name: "\(prefix)\(name)", value: Tensor(shape: shape, values: rng.floats(n)), grad: Tensor(shape: shape))
        }
    }

    func fillGrads(_ params: [Parameter], step: Int) {
        var rng = SplitMix64(seed: 1000 + UInt64(step))
        for p in params { p.grad.copy(from: Tensor(shape: p.grad.shape, values: rng.floats(p.grad.count, scale: 0.1))) }
    }

    func testSingleStepFollowsTheDecoupledFormula() {
        let p = Parameter(name: "w", value: Tensor(shape: [3], values: [0.5, -1, 2]), grad: Tensor(shape: [3], values: [0.1, -0.2, 0.003]))
        let g = ParameterGroup(name: "g", parameters: [p], lr: 0.01, weightDecay: 0.1)
        let opt = AdamW(groups: [g])
        opt.step(); opt.step()
        // float64 formula with the same gradient twice.
        for (i, (p0, gr)) in zip([0.5, -1.0, 2.0], [Double(Float(0.1)), Double(Float(-0.2)), Double(Float(0.003))]).enumerated() {
            var x = p0, m = 0.0, v = 0.0
            for t in 1...2 {
                x *= 1 - 0.01 * 0.1
                m = 0.9 * m + 0.1 * gr; v = 0.999 * v + 0.001 * gr * gr
                x -= 0.01 * (m / (1 - Foundation.pow(0.9, Double(t)))) / ((v.squareRoot() / (1 - Foundation.pow(0.999, Double(t))).squareRoot()) + 1e-8)
            }
            XCTAssertEqual(Double(p.value[i]), x, accuracy: 1e-7, "element \(i)")
        }
    }

    /// Two groups with different lr / weight decay behave exactly like two separate optimizers.
    func testParameterGroupsAreIndependent() {
        let joint = [makeParams(seed: 1, prefix: "x."), makeParams(seed: 2, prefix: "y.")]
        let alone = [makeParams(seed: 1, prefix: "x."), makeParams(seed: 2, prefix: "y.")]
        let opt = AdamW(groups: [ParameterGroup(name: "x", parameters: joint[0], lr: 1e-2, weightDecay: 0.1),
                                 ParameterGroup(name: "y", parameters: joint[1], lr: 3e-3, weightDecay: 0)])
        let optX = AdamW(groups: [ParameterGroup(name: "x", parameters: alone[0], lr: 1e-2, weightDecay: 0.1)])
        let optY = AdamW(groups: [ParameterGroup(name: "y", parameters: alone[1], lr: 3e-3, weightDecay: 0)])
        for s in 0..<3 {
            fillGrads(joint[0] + joint[1], step: s); fillGrads(alone[0] + alone[1], step: s)
            opt.step(); optX.step(); optY.step()
        }
        for (a, b) in zip(joint[0] + joint[1], alone[0] + alone[1]) { XCTAssertEqual(a.value.array, b.value.array, a.name) }
        XCTAssertEqual(opt.groups.map(\.step), [3, 3])
        // Different hyperparameters really do lead to different parameters (the test can fail).
        let other = makeParams(seed: 1, prefix: "x.")
        let optOther = AdamW(groups: [ParameterGroup(name: "x", parameters: other, lr: 3e-3, weightDecay: 0.1)])
        for s in 0..<3 { fillGrads(other, step: s); optOther.step() }
        XCTAssertNotEqual(other[0].value.array, joint[0][0].value.array)
    }

    /// Two steps, save (tensors through a safetensors file, scalars through JSON), reload into a fresh
    /// optimizer and fresh parameter tensors, third step: bit-identical to three uninterrupted steps.
    func testStateSaveLoadResumesBitForBit() throws {
        let straight = makeParams(seed: 5, prefix: "")
        let optA = AdamW(groups: [ParameterGroup(name: "lora", parameters: straight, lr: 2e-3, weightDecay: 0.01)])
        for s in 0..<3 { fillGrads(straight, step: s); optA.step() }

        let first = makeParams(seed: 5, prefix: "")
        let optB = AdamW(groups: [ParameterGroup(name: "lora", parameters: first, lr: 2e-3, weightDecay: 0.01)])
        for s in 0..<2 { fillGrads(first, step: s); optB.step() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metalora-adamw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var saved = optB.stateTensors()
        for p in first { saved["param.\(p.name)"] = p.value }
        try SafeTensorsFile.write(saved, to: dir.appendingPathComponent("state.safetensors"))
        let scalarJSON = try JSONEncoder().encode(optB.scalarState())

        let file = try SafeTensorsFile(url: dir.appendingPathComponent("state.safetensors"))
        var loaded: [String: Tensor] = [:]
        for name in file.names { loaded[name] = try file.tensor(name) }
        let resumed = makeParams(seed: 99, prefix: "")   // different values: everything must come from the checkpoint
        for p in resumed { p.value.copy(from: loaded["param.\(p.name)"]!) }
        let optC = AdamW(groups: [ParameterGroup(name: "lora", parameters: resumed, lr: 1, weightDecay: 0)])
        try optC.loadState(loaded, scalars: JSONDecoder().decode(AdamW.ScalarState.self, from: scalarJSON))
        XCTAssertEqual(optC.groups[0].step, 2)
        fillGrads(resumed, step: 2); optC.step()
        for (a, b) in zip(straight, resumed) {
            XCTAssertEqual(a.value.array.map(\.bitPattern), b.value.array.map(\.bitPattern), "param \(a.name)")
        }
        let sa = optA.stateTensors(), sc = optC.stateTensors()
        for (k, t) in sa { XCTAssertEqual(t.array.map(\.bitPattern), sc[k]!.array.map(\.bitPattern), k) }
    }

    func testLoadStateRejectsMissingOrMisshapenTensors() {
        let opt = AdamW(groups: [ParameterGroup(name: "g", parameters: makeParams(seed: 1, prefix: ""), lr: 1e-3)])
        var tensors = opt.stateTensors()
        tensors["exp_avg.a"] = nil
        XCTAssertThrowsError(try opt.loadState(tensors, scalars: opt.scalarState())) {
            XCTAssertEqual($0 as? OptimizerStateError, .missingTensor("exp_avg.a"))
        }
        tensors["exp_avg.a"] = Tensor(shape: [5, 3])
        XCTAssertThrowsError(try opt.loadState(tensors, scalars: opt.scalarState())) {
            XCTAssertEqual($0 as? OptimizerStateError, .shapeMismatch("exp_avg.a", saved: [5, 3], expected: [3, 5]))
        }
        var scalars = opt.scalarState()
        scalars.groups[0].name = "other"
        XCTAssertThrowsError(try opt.loadState(opt.stateTensors(), scalars: scalars)) {
            XCTAssertEqual($0 as? OptimizerStateError, .missingGroup("g"))
        }
    }

    func testSGDStepIsParamMinusLrTimesGrad() {
        let params = makeParams(seed: 7, prefix: "")
        fillGrads(params, step: 0)
        let before = params.map { $0.value.array }
        SGD.step(ParameterGroup(name: "inner", parameters: params, lr: 0.01))
        for (p, b) in zip(params, before) {
            XCTAssertEqual(p.value.array, zip(b, p.grad.array).map { $0 + Float(-0.01) * $1 })
        }
    }

    func testGradientClippingByGlobalNorm() {
        let params = makeParams(seed: 8, prefix: "")
        fillGrads(params, step: 0)
        let grads = params.map(\.grad)
        let expected = grads.flatMap(\.array).reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        XCTAssertEqual(GradientClipping.globalNorm(grads), expected, accuracy: 1e-6 * expected)
        let before = grads.map(\.array)
        XCTAssertEqual(GradientClipping.clip(grads, maxNorm: 10 * expected), expected, accuracy: 1e-6 * expected)
        XCTAssertEqual(grads.map(\.array), before, "no scaling when under the limit")
        let norm = GradientClipping.clip(grads, maxNorm: 0.5 * expected)
        XCTAssertEqual(norm, expected, accuracy: 1e-6 * expected, "returns the pre-clip norm")
        XCTAssertEqual(GradientClipping.globalNorm(grads), 0.5 * expected, accuracy: 1e-5 * expected)
    }

    func testLinearWarmupDecaySchedule() {
        let s = LinearWarmupDecaySchedule(warmupSteps: 4, totalSteps: 12)
        let factors = (0...13).map { s.factor(step: $0) }
        let expected: [Double] = [0, 0.25, 0.5, 0.75, 1, 7.0 / 8, 6.0 / 8, 5.0 / 8, 4.0 / 8, 3.0 / 8, 2.0 / 8, 1.0 / 8, 0, 0]
        for (f, e) in zip(factors, expected) { XCTAssertEqual(f, e, accuracy: 1e-15) }
        let g = ParameterGroup(name: "g", parameters: [], lr: 2e-4)
        s.apply(to: [g], step: 2)
        XCTAssertEqual(g.lr, 1e-4, accuracy: 1e-18)
        XCTAssertEqual(g.baseLR, 2e-4)
        XCTAssertEqual(LinearWarmupDecaySchedule(warmupSteps: 0, totalSteps: 4).factor(step: 0), 1)
    }

    func testNonFiniteCheckNamesTheTensor() {
        let params = makeParams(seed: 9, prefix: "layer.")
        let group = ParameterGroup(name: "g", parameters: params, lr: 1e-3)
        XCTAssertNoThrow(try FiniteCheck.checkGradients([group]))
        params[1].grad[4] = .nan
        params[2].grad[0] = .infinity
        XCTAssertThrowsError(try FiniteCheck.checkGradients([group])) { error in
            let e = error as? NonFiniteError
            XCTAssertEqual(e?.tensorName, "grad.layer.b")
            XCTAssertEqual(e?.index, 4)
            XCTAssertTrue("\(error)".contains("grad.layer.b"))
        }
    }
}
