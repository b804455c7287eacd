"""REINFORCE (Monte-Carlo policy gradient) on CartPole-v1."""
import argparse
from itertools import count

import gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

parser = argparse.ArgumentParser(description='policy gradient on CartPole')
parser.add_argument('--gamma', type=float, default=0.99, metavar='G',
                    help='discount of future rewards')
parser.add_argument('--seed', type=int, default=543, metavar='N')
parser.add_argument('--render', action='store_true')
parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                    help='episodes between status lines')
args = parser.parse_args()

env = gym.make('CartPole-v1')
env.reset(seed=args.seed)
torch.manual_seed(args.seed)


class Policy(nn.Module):
    """Four observations in, a probability for each of the two pushes out."""

    def __init__(self, hidden=128):
        super(Policy, self).__init__()
        self.body = nn.Linear(4, hidden)
        self.dropout = nn.Dropout(p=0.6)
        self.head = nn.Linear(hidden, 2)
        self.log_probs = []
        self.rewards = []

    def forward(self, obs):
        z = F.relu(self.dropout(self.body(obs)))
        return F.softmax(self.head(z), dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
EPS = np.finfo(np.float32).eps.item()


def select_action(state):
    probs = policy(torch.from_numpy(state).float().unsqueeze(0))
    dist = Categorical(probs)
    action = dist.sample()
    policy.log_probs.append(dist.log_prob(action))
    return action.item()


def discounted(rewards, gamma):
    out, running = [], 0.0
    for r in reversed(rewards):
        running = r + gamma * running
        out.append(running)
    out.reverse()
    ret = torch.tensor(out)
    return (ret - ret.mean()) / (ret.std() + EPS)     # normalised returns lower the variance


def finish_episode():
    returns = discounted(policy.rewards, args.gamma)
    loss = torch.stack([-lp * g for lp, g in zip(policy.log_probs, returns)]).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    policy.log_probs.clear()
    policy.rewards.clear()


def main():
    running_reward = 10
    for episode in count(1):
        state, _ = env.reset()
        ep_reward = 0
        for t in range(1, 10000):
            state, reward, done, _, _ = env.step(select_action(state))
            if args.render:
                env.render()
            policy.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        running_reward = 0.05 * ep_reward + 0.95 * running_reward
        finish_episode()
        if episode % args.log_interval == 0:
            print('episode {}\tlast reward {:.2f}\trunning average {:.2f}'.format(
                episode, ep_reward, running_reward))
        if running_reward > env.spec.reward_threshold:
            print('solved: running reward {:.1f}, last episode ran {} steps'.format(
                running_reward, t))
            break


if __name__ == '__main__':
    main()
