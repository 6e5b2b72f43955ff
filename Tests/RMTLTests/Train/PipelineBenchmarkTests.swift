import Foundation
import RMTL
import Testing

@Suite("rmtl bench --pipeline") struct PipelineBenchmarkTests {
    /// A small run of the real pipeline: every stage is timed and the total is their sum, the
    /// parts are cut to the schedule's batches, and the splits file PyTorch reads holds
    /// exactly the rows rmtl trained and evaluated on (an independent load, sessionize and split of
    /// the same files), row-major, with the schedule in its metadata.
    @Test func timesEveryStageAndWritesTheSplitsItTrainedOn() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        try SyntheticRetailRocket.write(to: folder.path, events: 20_000, seed: 3)
        var schedule = Benchmark.PipelineSchedule()
        schedule.batches = 2
        schedule.batch = 256
        schedule.warmupEpisodes = 400
        schedule.buffer = 1024
        let splitsPath = folder.path + "/splits.safetensors"
        let r = try Benchmark.pipeline(directory: folder.path, schedule: schedule, threads: 2, splitsOut: splitsPath)

        #expect(Set(r.seconds.keys) == ["pretrain", "critic", "finetune", "eval"])
        #expect(r.seconds.values.allSatisfy { $0 > 0 })
        #expect(abs(r.totalSeconds - r.seconds.values.reduce(0, +)) < 1e-9)
        #expect(r.rows == ["train": 512, "validation": 512, "test": 512])
        #expect(r.test["pretrained"]?.count == 2 && r.test["rmtl"]?.allSatisfy { $0.auc.isFinite } == true)

        var data = try DataPipeline.loadRetailRocket(directory: folder.path)
        try data.sessionize(gapMilliseconds: DataPipeline.defaultGap)
        let splits = try data.split(.time(train: 0.6, validation: 0.2, test: 0.2, wholeSessions: true))
        let file = try SafetensorsFile.read(path: splitsPath)
        let rows = 512
        for (name, part) in [("train", splits.train), ("validation", splits.validation), ("test", splits.test)] {
            let ids = try #require(file["\(name).categorical"])
            #expect(ids.shape == [rows, part.fieldCount])
            #expect(ids.int32s == (0..<rows).flatMap { row in part.categorical.map { $0[row] } }, "\(name)")
            #expect(file["\(name).labels"]?.floats == (0..<rows).flatMap { row in part.labels.map { $0[row] } }, "\(name)")
            #expect(file["\(name).numeric"]?.floats == (0..<rows).flatMap { row in part.numeric.map { $0[row] } }, "\(name)")
            #expect(file["\(name).sessions"]?.int32s == Array(part.sessions[0..<rows]), "\(name)")
            #expect(file["\(name).timestamps"]?.int64s == Array(part.timestamps[0..<rows]), "\(name)")
        }
        let written = try JSONDecoder().decode(Benchmark.PipelineSchedule.self, from: Data(file.metadata["schedule"]!.utf8))
        #expect(written == schedule)
        #expect(file.metadata["cardinalities"] == "\(splits.train.cardinalities)".replacingOccurrences(of: " ", with: ""))
    }

    /// A schedule that asks for more training rows than the split has is an error naming the knob.
    @Test func tooManyTrainingBatchesIsAnError() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        try SyntheticRetailRocket.write(to: folder.path, events: 2_000, seed: 3)
        var schedule = Benchmark.PipelineSchedule()
        schedule.batches = 1_000
        #expect(throws: ConfigurationError.self) {
            try Benchmark.pipeline(directory: folder.path, schedule: schedule, threads: 1)
        }
    }
}
