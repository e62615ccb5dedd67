"""The labeling task types: their registry, answers, consolidation and Ground Truth output."""
