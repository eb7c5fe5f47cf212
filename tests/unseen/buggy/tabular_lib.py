"""Feature engineering for the loan-default experiments."""
import torch


def load_applicants(n, seed=0):
    """Synthetic loan applicants: raw columns in their natural units, and whether they defaulted."""
    g = torch.Generator().manual_seed(seed)
    age = 21 + 45 * torch.rand(n, generator=g)                          # years
    income = torch.exp(10.8 + 0.5 * torch.randn(n, generator=g))        # per year
    debt = income * (0.1 + 0.6 * torch.rand(n, generator=g))            # outstanding
    months_employed = (120 * torch.rand(n, generator=g)).round()
    credit_lines = torch.randint(1, 12, (n,), generator=g).float()
    risk = 3.0 * debt / income - 0.03 * (age - 40) - 0.01 * months_employed + 0.15 * credit_lines - 1.2
    default = (risk + 0.4 * torch.randn(n, generator=g) > 0).long()
    X = torch.stack([age, income, debt, months_employed, credit_lines], 1)
    return X, default


def standardize(train, *others):
    """Scale every column to zero mean, unit variance with the training split's statistics."""
    mean, std = train.mean(0), train.std(0)
    return [(t - mean) / std for t in (train, *others)]
