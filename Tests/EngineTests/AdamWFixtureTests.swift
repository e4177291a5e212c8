import XCTest
import Engine
import Models
import TestSupport

/// torch.optim.AdamW reference (fixtures/adamw): two steps on the forward-backward LoRA tensors with
/// their stored gradients. Every name and shape is read from the files.
final class AdamWFixtureTests: XCTestCase {
    func testTwoStepsMatchTorchAdamW() throws {
        let lora = try Fixtures.safetensors("forward-backward/lora.safetensors")
        let grads = try Fixtures.safetensors("forward-backward/grads.safetensors")
        let meta = try Fixtures.json("adamw/meta.json") as! [String: Any]
        let hp = meta["hyperparameters"] as! [String: Any]
        let betas = hp["betas"] as! [Double]
        let params = try lora.names.map { name in
            Parameter(name: name, value: try lora.tensor(name), grad: try grads.tensor(name))
        }
        XCTAssertFalse(params.isEmpty)
        let group = ParameterGroup(name: "lora", parameters: params, lr: hp["lr"] as! Double,
                                   weightDecay: hp["weight_decay"] as! Double)
        let opt = AdamW(groups: [group], beta1: betas[0], beta2: betas[1], eps: hp["eps"] as! Double)
        for stepFile in ["adamw/step1.safetensors", "adamw/step2.safetensors"] {
            opt.step()
            let ref = try Fixtures.safetensors(stepFile)
            let state = opt.stateTensors()
            var worst = (param: Float(0), m: Float(0), vRel: Float(0))
            for p in params {
                let refP = try ref.floats("param.\(p.name)"), refM = try ref.floats("exp_avg.\(p.name)")
                let refV = try ref.floats("exp_avg_sq.\(p.name)")
                assertClose(p.value.array, refP, atol: 1e-7, "\(stepFile) param.\(p.name)")
                assertClose(state["exp_avg.\(p.name)"]!.array, refM, atol: 1e-7, "\(stepFile) exp_avg.\(p.name)")
                assertClose(state["exp_avg_sq.\(p.name)"]!.array, refV, atol: 0, rtol: 1e-5, "\(stepFile) exp_avg_sq.\(p.name)")
                worst.param = max(worst.param, TestSupport.maxAbsDiff(p.value.array, refP))
                worst.m = max(worst.m, TestSupport.maxAbsDiff(state["exp_avg.\(p.name)"]!.array, refM))
                for (a, b) in zip(state["exp_avg_sq.\(p.name)"]!.array, refV) where b != 0 { worst.vRel = max(worst.vRel, abs(a - b) / b) }
            }
            if ProcessInfo.processInfo.environment["METALORA_TEST_VERBOSE"] != nil {
                print("[err] adamw \(stepFile): param \(worst.param), exp_avg \(worst.m), exp_avg_sq rel \(worst.vRel)")
            }
        }
        XCTAssertEqual(group.step, 2)
    }
}
