"""PyTorch reference models for rmtl's parity fixtures and speed comparisons.

Run by hand only (never in CI); needs the venv from scripts/torch/setup-venv.

These copy the structure and the parameter names (state_dict keys) of the authors' code, which the
Swift models must reproduce tensor for tensor:
- layers (EmbeddingLayer, MultiLayerPerceptron): Applied-Machine-Learning-Lab/RMTL layers/layers.py,
  i.e. MTReclib's layers with BatchNorm commented out and `padding_idx=0` on the shared table;
- models: RMTL slmodels/ (copies of easezyc/Multitask-Recommendation-Library models/) — SingleTask,
  SharedBottom, ESMM (RMTL's version: per-task bottoms, out1 = sigmoid(t1) * out0), OMoE, MMoE, PLE
  (MTReclib's final version: one expert list per level, gates over own + shared experts), AITM;
- CriticNeg: RMTL layers/critic.py.
Only mechanical changes: np.long -> np.int64 (removed from NumPy), and the same classes are written
once here instead of per file. rmtl-reference.md §2 describes each model in prose.

One sizing is not the authors' text, because their text cannot run with more than one numeric column:
every model's forward maps all numeric columns through numerical_layer = Linear(numerical_num, E) into
ONE E-wide slot, so the flattened input is (fields + 1) * E. The authors' ESMM and critic size their
first layer as (fields + numerical_num) * E (+ E for the action), which equals that only for
numerical_num = 1 (RetailRocket's zero column, their only data). With more columns their
`.view(-1, embed_output_dim)` raises, or, when the sizes happen to divide, silently regroups numbers
of different rows into one row. Here they are sized as their forward feeds them, which is what the
other five models do and what rmtl does (Sources/RMTL/Layers/FeatureEmbedding.swift); for
numerical_num = 1 nothing changes.

state_dict names (L = hidden layers of an MLP; Linear i of an MLP is `mlp.{3*i}`, the output
Linear(.,1) of a tower is `mlp.{3*L}`; Sequential(Linear, Softmax) gates are `<gate>.0`):
  embedding.embedding.weight            (sum(field_dims), E)   [SingleTask: embedding.{t}.embedding.weight]
  numerical_layer.weight / .bias        (E, numerical_num), (E) [SingleTask: numerical_layer.{t}.*]
  SharedBottom:  bottom.mlp.{0,3,..}.*, tower.{t}.mlp.{0,3,..,3L}.*
  SingleTask/ESMM/AITM: bottom.{t}.mlp.*, tower.{t}.mlp.*
  OMoE:  expert.{k}.mlp.*, gate.0.*, tower.{t}.mlp.*
  MMoE:  expert.{k}.mlp.*, gate.{t}.0.*, tower.{t}.mlp.*
  PLE:   expert.{level}.{k}.mlp.0.*  (k: task t owns [t*S, (t+1)*S), shared are [T*S, T*S+Sh)),
         gate.{level}.{t}.0.* (S+Sh outputs), gate.{level}.{T}.0.* (shared gate, T*S+Sh outputs),
         tower.{t}.mlp.*
  AITM:  g.{t-1}.*, h1.*, h2.*, h3.*  (each Linear(D, D), D = bottom[-1])
  CriticNeg: embedding.embedding.weight, numerical_layer.*, action_layer.*, bottom.mlp.*, tower.mlp.*
"""
import numpy as np
import torch


class EmbeddingLayer(torch.nn.Module):
    """One table for all fields; field f's id i is row offsets[f] + i. Row 0 is the padding row
    (no gradient), but xavier init overwrites it, so it is random, not zero."""

    def __init__(self, field_dims, embed_dim):
        super().__init__()
        self.embedding = torch.nn.Embedding(sum(field_dims), embed_dim, padding_idx=0)
        self.offsets = np.array((0, *np.cumsum(field_dims)[:-1]), dtype=np.int64)
        torch.nn.init.xavier_uniform_(self.embedding.weight.data)

    def forward(self, x):
        x = x + x.new_tensor(self.offsets).unsqueeze(0)
        return self.embedding(x)


class MultiLayerPerceptron(torch.nn.Module):
    """Linear -> ReLU -> Dropout per hidden size (no BatchNorm), then optionally Linear(., 1)."""

    def __init__(self, input_dim, embed_dims, dropout, output_layer=True):
        super().__init__()
        layers = list()
        for embed_dim in embed_dims:
            layers.append(torch.nn.Linear(input_dim, embed_dim))
            layers.append(torch.nn.ReLU())
            layers.append(torch.nn.Dropout(p=dropout))
            input_dim = embed_dim
        if output_layer:
            layers.append(torch.nn.Linear(input_dim, 1))
        self.mlp = torch.nn.Sequential(*layers)

    def forward(self, x):
        return self.mlp(x)


class _Input(torch.nn.Module):
    """Shared embedding + numerical Linear (all numeric columns into one E-wide slot), flattened to
    (B, (fields + 1) * E)."""

    def _embed(self, categorical_x, numerical_x):
        emb = self.embedding(categorical_x)
        numerical_emb = self.numerical_layer(numerical_x).unsqueeze(1)
        return torch.cat([emb, numerical_emb], 1).view(-1, self.embed_output_dim)


class SingleTaskModel(torch.nn.Module):
    def __init__(self, categorical_field_dims, numerical_num, embed_dim, bottom_mlp_dims, tower_mlp_dims, task_num, dropout):
        super().__init__()
        self.embedding = torch.nn.ModuleList([EmbeddingLayer(categorical_field_dims, embed_dim) for i in range(task_num)])
        self.numerical_layer = torch.nn.ModuleList([torch.nn.Linear(numerical_num, embed_dim) for i in range(task_num)])
        self.embed_output_dim = (len(categorical_field_dims) + 1) * embed_dim
        self.task_num = task_num
        self.bottom = torch.nn.ModuleList([MultiLayerPerceptron(self.embed_output_dim, bottom_mlp_dims, dropout, output_layer=False) for i in range(task_num)])
        self.tower = torch.nn.ModuleList([MultiLayerPerceptron(bottom_mlp_dims[-1], tower_mlp_dims, dropout) for i in range(task_num)])

    def forward(self, categorical_x, numerical_x):
        results = list()
        for i in range(self.task_num):
            categorical_emb = self.embedding[i](categorical_x)
            numerical_emb = self.numerical_layer[i](numerical_x).unsqueeze(1)
            emb = torch.cat([categorical_emb, numerical_emb], 1).view(-1, self.embed_output_dim)
            fea = self.bottom[i](emb)
            results.append(torch.sigmoid(self.tower[i](fea).squeeze(1)))
        return results


class SharedBottomModel(_Input):
    def __init__(self, categorical_field_dims, numerical_num, embed_dim, bottom_mlp_dims, tower_mlp_dims, task_num, dropout):
        super().__init__()
        self.embedding = EmbeddingLayer(categorical_field_dims, embed_dim)
        self.numerical_layer = torch.nn.Linear(numerical_num, embed_dim)
        self.embed_output_dim = (len(categorical_field_dims) + 1) * embed_dim
        self.task_num = task_num
        self.bottom = MultiLayerPerceptron(self.embed_output_dim, bottom_mlp_dims, dropout, output_layer=False)
        self.tower = torch.nn.ModuleList([MultiLayerPerceptron(bottom_mlp_dims[-1], tower_mlp_dims, dropout) for i in range(task_num)])

    def forward(self, categorical_x, numerical_x):
        fea = self.bottom(self._embed(categorical_x, numerical_x))
        return [torch.sigmoid(self.tower[i](fea).squeeze(1)) for i in range(self.task_num)]


class ESMMModel(_Input):
    """RMTL's ESMM: per-task bottoms and towers on a shared embedding; out1 = sigmoid(t1) * out0."""

    def __init__(self, categorical_field_dims, numerical_num, embed_dim, bottom_mlp_dims, tower_mlp_dims, task_num, dropout):
        super().__init__()
        self.embedding = EmbeddingLayer(categorical_field_dims, embed_dim)
        self.numerical_layer = torch.nn.Linear(numerical_num, embed_dim)
        # The authors write (fields + numerical_num) * E here, but their forward feeds (fields + 1) * E
        # (numerical_layer maps every numeric column into one E-wide slot): the two agree only for
        # numerical_num = 1, their only case. Sized as the forward is (see the module docstring).
        self.embed_output_dim = (len(categorical_field_dims) + 1) * embed_dim
        self.task_num = task_num
        self.bottom = torch.nn.ModuleList([MultiLayerPerceptron(self.embed_output_dim, bottom_mlp_dims, dropout, output_layer=False) for i in range(task_num)])
        self.tower = torch.nn.ModuleList([MultiLayerPerceptron(bottom_mlp_dims[-1], tower_mlp_dims, dropout) for i in range(task_num)])

    def forward(self, categorical_x, numerical_x):
        results = list()
        emb = self._embed(categorical_x, numerical_x)
        for i in range(self.task_num):
            fea = self.bottom[i](emb)
            if i == 1:
                results.append(torch.sigmoid(self.tower[i](fea).squeeze(1)) * results[0])
            else:
                results.append(torch.sigmoid(self.tower[i](fea).squeeze(1)))
        return results


class OMoEModel(_Input):
    def __init__(self, categorical_field_dims, numerical_num, embed_dim, bottom_mlp_dims, tower_mlp_dims, task_num, expert_num, dropout):
        super().__init__()
        self.embedding = EmbeddingLayer(categorical_field_dims, embed_dim)
        self.numerical_layer = torch.nn.Linear(numerical_num, embed_dim)
        self.embed_output_dim = (len(categorical_field_dims) + 1) * embed_dim
        self.task_num = task_num
        self.expert_num = expert_num
        self.expert = torch.nn.ModuleList([MultiLayerPerceptron(self.embed_output_dim, bottom_mlp_dims, dropout, output_layer=False) for i in range(expert_num)])
        self.tower = torch.nn.ModuleList([MultiLayerPerceptron(bottom_mlp_dims[-1], tower_mlp_dims, dropout) for i in range(task_num)])
        self.gate = torch.nn.Sequential(torch.nn.Linear(self.embed_output_dim, expert_num), torch.nn.Softmax(dim=1))

    def forward(self, categorical_x, numerical_x):
        emb = self._embed(categorical_x, numerical_x)
        gate_value = self.gate(emb).unsqueeze(1)
        fea = torch.cat([self.expert[i](emb).unsqueeze(1) for i in range(self.expert_num)], dim=1)
        fea = torch.bmm(gate_value, fea).squeeze(1)
        return [torch.sigmoid(self.tower[i](fea).squeeze(1)) for i in range(self.task_num)]


class MMoEModel(_Input):
    def __init__(self, categorical_field_dims, numerical_num, embed_dim, bottom_mlp_dims, tower_mlp_dims, task_num, expert_num, dropout):
        super().__init__()
        self.embedding = EmbeddingLayer(categorical_field_dims, embed_dim)
        self.numerical_layer = torch.nn.Linear(numerical_num, embed_dim)
        self.embed_output_dim = (len(categorical_field_dims) + 1) * embed_dim
        self.task_num = task_num
        self.expert_num = expert_num
        self.expert = torch.nn.ModuleList([MultiLayerPerceptron(self.embed_output_dim, bottom_mlp_dims, dropout, output_layer=False) for i in range(expert_num)])
        self.tower = torch.nn.ModuleList([MultiLayerPerceptron(bottom_mlp_dims[-1], tower_mlp_dims, dropout) for i in range(task_num)])
        self.gate = torch.nn.ModuleList([torch.nn.Sequential(torch.nn.Linear(self.embed_output_dim, expert_num), torch.nn.Softmax(dim=1)) for i in range(task_num)])

    def forward(self, categorical_x, numerical_x):
        emb = self._embed(categorical_x, numerical_x)
        gate_value = [self.gate[i](emb).unsqueeze(1) for i in range(self.task_num)]
        fea = torch.cat([self.expert[i](emb).unsqueeze(1) for i in range(self.expert_num)], dim=1)
        task_fea = [torch.bmm(gate_value[i], fea).squeeze(1) for i in range(self.task_num)]
        return [torch.sigmoid(self.tower[i](task_fea[i]).squeeze(1)) for i in range(self.task_num)]


class PLEModel(_Input):
    """MTReclib's final PLE. Level i has T*S + Sh single-layer experts; branch j < T (a task) mixes
    its own S experts and the Sh shared ones with gate[i][j]; branch T (shared) mixes all experts
    with gate[i][T]. Every branch runs its experts on its own input. After the last level the
    shared branch is dropped, so the last level's shared gate gets no gradient."""

    def __init__(self, categorical_field_dims, numerical_num, embed_dim, bottom_mlp_dims, tower_mlp_dims, task_num, shared_expert_num, specific_expert_num, dropout):
        super().__init__()
        self.embedding = EmbeddingLayer(categorical_field_dims, embed_dim)
        self.numerical_layer = torch.nn.Linear(numerical_num, embed_dim)
        self.embed_output_dim = (len(categorical_field_dims) + 1) * embed_dim
        self.task_num = task_num
        self.shared_expert_num = shared_expert_num
        self.specific_expert_num = specific_expert_num
        self.layers_num = len(bottom_mlp_dims)

        self.expert = list()
        for i in range(self.layers_num):
            input_dim = self.embed_output_dim if i == 0 else bottom_mlp_dims[i - 1]
            self.expert.append(torch.nn.ModuleList([MultiLayerPerceptron(input_dim, [bottom_mlp_dims[i]], dropout, output_layer=False) for j in range(self.specific_expert_num * self.task_num + self.shared_expert_num)]))
        self.expert = torch.nn.ModuleList(self.expert)

        self.gate = list()
        for i in range(self.layers_num):
            input_dim = self.embed_output_dim if i == 0 else bottom_mlp_dims[i - 1]
            gate_list = [torch.nn.Sequential(torch.nn.Linear(input_dim, shared_expert_num + specific_expert_num), torch.nn.Softmax(dim=1)) for j in range(self.task_num)]
            gate_list.append(torch.nn.Sequential(torch.nn.Linear(input_dim, shared_expert_num + task_num * specific_expert_num), torch.nn.Softmax(dim=1)))
            self.gate.append(torch.nn.ModuleList(gate_list))
        self.gate = torch.nn.ModuleList(self.gate)

        self.task_expert_index = list()
        for i in range(task_num):
            index_list = list()
            index_list.extend(range(i * self.specific_expert_num, (1 + i) * self.specific_expert_num))
            index_list.extend(range(task_num * self.specific_expert_num, task_num * self.specific_expert_num + self.shared_expert_num))
            self.task_expert_index.append(index_list)
        self.task_expert_index.append(range(task_num * self.specific_expert_num + self.shared_expert_num))

        self.tower = torch.nn.ModuleList([MultiLayerPerceptron(bottom_mlp_dims[-1], tower_mlp_dims, dropout) for i in range(task_num)])

    def forward(self, categorical_x, numerical_x):
        emb = self._embed(categorical_x, numerical_x)
        task_fea = [emb for i in range(self.task_num + 1)]
        for i in range(self.layers_num):
            for j in range(self.task_num + 1):
                fea = torch.cat([self.expert[i][index](task_fea[j]).unsqueeze(1) for index in self.task_expert_index[j]], dim=1)
                gate_value = self.gate[i][j](task_fea[j]).unsqueeze(1)
                task_fea[j] = torch.bmm(gate_value, fea).squeeze(1)
        return [torch.sigmoid(self.tower[i](task_fea[i]).squeeze(1)) for i in range(self.task_num)]


class AITMModel(_Input):
    def __init__(self, categorical_field_dims, numerical_num, embed_dim, bottom_mlp_dims, tower_mlp_dims, task_num, dropout):
        super().__init__()
        self.embedding = EmbeddingLayer(categorical_field_dims, embed_dim)
        self.numerical_layer = torch.nn.Linear(numerical_num, embed_dim)
        self.embed_output_dim = (len(categorical_field_dims) + 1) * embed_dim
        self.task_num = task_num
        self.hidden_dim = bottom_mlp_dims[-1]
        self.g = torch.nn.ModuleList([torch.nn.Linear(bottom_mlp_dims[-1], bottom_mlp_dims[-1]) for i in range(task_num - 1)])
        self.h1 = torch.nn.Linear(bottom_mlp_dims[-1], bottom_mlp_dims[-1])
        self.h2 = torch.nn.Linear(bottom_mlp_dims[-1], bottom_mlp_dims[-1])
        self.h3 = torch.nn.Linear(bottom_mlp_dims[-1], bottom_mlp_dims[-1])
        self.bottom = torch.nn.ModuleList([MultiLayerPerceptron(self.embed_output_dim, bottom_mlp_dims, dropout, output_layer=False) for i in range(task_num)])
        self.tower = torch.nn.ModuleList([MultiLayerPerceptron(bottom_mlp_dims[-1], tower_mlp_dims, dropout) for i in range(task_num)])

    def forward(self, categorical_x, numerical_x):
        emb = self._embed(categorical_x, numerical_x)
        fea = [self.bottom[i](emb) for i in range(self.task_num)]
        for i in range(1, self.task_num):
            p = self.g[i - 1](fea[i - 1]).unsqueeze(1)
            q = fea[i].unsqueeze(1)
            x = torch.cat([p, q], dim=1)
            V = self.h1(x)
            K = self.h2(x)
            Q = self.h3(x)
            fea[i] = torch.sum(torch.nn.functional.softmax(torch.sum(K * Q, 2, True) / np.sqrt(self.hidden_dim), dim=1) * V, 1)
        return [torch.sigmoid(self.tower[i](fea[i]).squeeze(1)) for i in range(self.task_num)]


class CriticNeg(torch.nn.Module):
    """RMTL's critic: own embedding + numerical Linear + action Linear(1, E), concatenated to
    (fields + 1 + 1) * E, bottom MLP, tower MLP -> 1, Q = -ReLU(.) <= 0."""

    def __init__(self, categorical_field_dims, numerical_num, embed_dim, bottom_mlp_dims, tower_mlp_dims, dropout):
        super().__init__()
        self.embedding = EmbeddingLayer(categorical_field_dims, embed_dim)
        self.numerical_layer = torch.nn.Linear(numerical_num, embed_dim)
        self.action_layer = torch.nn.Linear(1, embed_dim)
        self.embed_output_dim = (len(categorical_field_dims) + 1 + 1) * embed_dim  # one numeric slot, as ESMM
        self.bottom = MultiLayerPerceptron(self.embed_output_dim, bottom_mlp_dims, dropout, output_layer=False)
        self.tower = MultiLayerPerceptron(bottom_mlp_dims[-1], tower_mlp_dims, dropout)
        self.activate = torch.nn.ReLU()

    def forward(self, categorical_x, numerical_x, action):
        emb = self.embedding(categorical_x)
        numerical_emb = self.numerical_layer(numerical_x).unsqueeze(1)
        action_emb = self.action_layer(action).unsqueeze(1)
        emb = torch.cat([emb, numerical_emb, action_emb], dim=1)
        emb = emb.view(emb.size(0), self.embed_output_dim)
        fea = self.bottom(emb)
        return -self.activate(self.tower(fea)).squeeze(1)


def make_model(name, field_dims, numerical_num=1, embed_dim=128, bottom=(512, 256), tower=(128, 64),
               task_num=2, expert_num=8, dropout=0.2):
    """The authors' get_model (train/run.py): PLE gets expert_num/2 shared and expert_num/2 specific."""
    bottom, tower = list(bottom), list(tower)
    if name == "single":
        return SingleTaskModel(field_dims, numerical_num, embed_dim, bottom, tower, task_num, dropout)
    if name == "sharedbottom":
        return SharedBottomModel(field_dims, numerical_num, embed_dim, bottom, tower, task_num, dropout)
    if name == "esmm":
        return ESMMModel(field_dims, numerical_num, embed_dim, bottom, tower, task_num, dropout)
    if name == "omoe":
        return OMoEModel(field_dims, numerical_num, embed_dim, bottom, tower, task_num, expert_num, dropout)
    if name == "mmoe":
        return MMoEModel(field_dims, numerical_num, embed_dim, bottom, tower, task_num, expert_num, dropout)
    if name == "ple":
        return PLEModel(field_dims, numerical_num, embed_dim, bottom, tower, task_num, expert_num // 2, expert_num // 2, dropout)
    if name == "aitm":
        return AITMModel(field_dims, numerical_num, embed_dim, bottom, tower, task_num, dropout)
    raise ValueError(f"unknown model {name!r}")


MODEL_NAMES = ["single", "sharedbottom", "esmm", "omoe", "mmoe", "ple", "aitm"]


def mtl_loss(outputs, labels):
    """Mean over tasks of BCELoss(mean) (train/run.py): labels (B, T) float."""
    bce = torch.nn.BCELoss()
    return sum(bce(outputs[i], labels[:, i]) for i in range(len(outputs))) / len(outputs)


class SharedCritic(torch.nn.Module):
    """rmtl's reading of the paper's critic (Sources/RMTL/RL/SharedCritic.swift): one embedding,
    numerical Linear and action Linear(1, E), one bottom MLP shared by the tasks, one tower per task.
    Task k's input is [field embeddings, numerical, action_layer(a_k)]; Q_k = -ReLU(tower_k(bottom(.))).
    Names: embedding.embedding.weight, numerical_layer.*, action_layer.*, bottom.mlp.*, tower.{k}.mlp.*"""

    def __init__(self, categorical_field_dims, numerical_num, embed_dim, bottom_mlp_dims, tower_mlp_dims, task_num, dropout):
        super().__init__()
        self.embedding = EmbeddingLayer(categorical_field_dims, embed_dim)
        self.numerical_layer = torch.nn.Linear(numerical_num, embed_dim)
        self.action_layer = torch.nn.Linear(1, embed_dim)
        self.embed_output_dim = (len(categorical_field_dims) + 1 + 1) * embed_dim  # one numeric slot, as ESMM
        self.bottom = MultiLayerPerceptron(self.embed_output_dim, bottom_mlp_dims, dropout, output_layer=False)
        self.tower = torch.nn.ModuleList([MultiLayerPerceptron(bottom_mlp_dims[-1], tower_mlp_dims, dropout) for _ in range(task_num)])
        self.task_num = task_num
        self.activate = torch.nn.ReLU()

    def forward(self, categorical_x, numerical_x, actions):
        """actions (B, K) -> Q (B, K)."""
        emb = self.embedding(categorical_x)
        numerical_emb = self.numerical_layer(numerical_x).unsqueeze(1)
        qs = []
        for k in range(self.task_num):
            action_emb = self.action_layer(actions[:, k:k + 1]).unsqueeze(1)
            x = torch.cat([emb, numerical_emb, action_emb], dim=1).view(emb.size(0), self.embed_output_dim)
            qs.append(-self.activate(self.tower[k](self.bottom(x))).squeeze(1))
        return torch.stack(qs, dim=1)
