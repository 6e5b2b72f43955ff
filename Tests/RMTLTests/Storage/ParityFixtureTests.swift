import Foundation
import RMTL
import Testing

extension StorageTests {
    /// The PyTorch parity fixtures (scripts/torch/make_fixtures.py) load and hold what the model
    /// tests expect: every parameter with its gradient and post-Adam value, the batch and outputs.
    @Suite("PyTorch parity fixtures")
    struct ParityFixtureTests {
        static let models = ["single", "sharedbottom", "esmm", "omoe", "mmoe", "ple", "aitm", "critic"]

        @Test(arguments: models)
        func fixtureIsComplete(_ model: String) throws {
            let file = try SafetensorsFile.read(
                path: StorageTestSupport.fixturePath("parity_\(model).safetensors"))
            for key in [
                "generator", "regenerate", "note", "torch", "numpy", "safetensors", "seed", "config", "adam",
            ] {
                #expect(file.metadata[key] != nil, "metadata '\(key)' missing")
            }
            #expect(file.metadata["model"] == model)
            let parameters = try #require(file.metadata["parameters"]).split(separator: ",").map(String.init)
            #expect(
                parameters.contains(
                    model == "single" ? "embedding.0.embedding.weight" : "embedding.embedding.weight"))
            for name in parameters {
                let weight = try #require(file[name], "\(name)")
                #expect(weight.dtype == .f32)
                #expect(file["grad." + name]?.shape == weight.shape, "grad.\(name)")
                #expect(file["adam." + name]?.shape == weight.shape, "adam.\(name)")
            }
            #expect(file["loss"]?.shape == [])
            #expect(file["adam.losses"]?.shape == [5])
            #expect(file["adam.losses"]?.floats?.first == file["loss"]?.floats?.first)
            if model == "critic" {
                #expect(file["input.state"]?.int64s?.count == 18)
                #expect(file["output.td_target"]?.shape == [6])
                #expect(file["output.q"]?.floats?.allSatisfy { $0 <= 0 } == true)  // Q = -ReLU(x) <= 0
                for name in parameters { #expect(file["soft_update.target." + name] != nil) }
            } else {
                #expect(file["input.categorical"]?.dtype == .i64)
                #expect(file["input.categorical"]?.shape == [6, 3])
                #expect(file["input.labels"]?.shape == [6, 2])
                #expect(file["output.probabilities"]?.shape == [2, 6])
            }
            // The padding row (global row 0) never gets a gradient.
            let embedding = model == "single" ? "embedding.0.embedding.weight" : "embedding.embedding.weight"
            let grad = try #require(file["grad." + embedding]?.floats)
            let width = try #require(file[embedding]?.shape.last)
            #expect(grad[0..<width].allSatisfy { $0 == 0 })
        }

        @Test func loaderAndComparisonWork() throws {
            let ple = try ParityFixture.load("ple")
            #expect(
                ple.config
                    == ParityFixture.Config(
                        fieldDims: [5, 4, 3], numericalCount: 1, embedDim: 8, bottom: [16, 8], tower: [8, 4],
                        taskCount: 2, expertCount: 4, batch: 6))
            #expect(ple.parameterNames.first == "embedding.embedding.weight")
            #expect(try ple.weight("gate.0.0.0.weight").shape == [4, 32])  // (S + Sh) x (3 + 1) * 8
            #expect(try ple.ids().count == 18)
            let expected = try ple.values("output.probabilities")
            #expect(compare("p", expected: expected, actual: expected).passed)
            var off = expected
            off[7] += 1e-3
            let report = compare("output.probabilities", expected: expected, actual: off)
            #expect(!report.passed)
            #expect(report.worstIndex == 7)
            #expect(report.description.hasPrefix("output.probabilities: MISMATCH, 12 values, max |error| "))
            #expect(!compare("nan", expected: [1], actual: [.nan]).passed)
        }
    }
}
