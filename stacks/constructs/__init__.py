"""Small constructs shared by the stacks: one per repeated shape."""
