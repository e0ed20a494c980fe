"""Privacy: erasing a conversation on request, withdrawing consent, and purging data past its retention."""
