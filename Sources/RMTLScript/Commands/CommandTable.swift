/// Every command, in the order `help` lists them. Each is declared in its own file in this folder;
/// adding a command is one file and one line here.
public let commandTable: [CommandSpec] = [
    .seed, .threads, .generateRetailRocket, .generateKuaiRand,
    .loadRetailRocket, .loadProcessed, .loadKuaiRand, .loadCSV,
    .sessionize, .split, .show,
    .actor, .trainActor, .critic, .trainCritic, .trainRMTL, .trainDDPG,
    .eval, .compare, .runs, .save, .restore, .exportResults, .importResults,
    .exportPredictions, .predict, .exportONNX,
    .plotLoss, .plotAUC, .plotQ, .plotCalibration, .report, .help, .quit,
    // hidden test commands
    .sleep, .spin, .recordResult, .recordEpoch,
]
