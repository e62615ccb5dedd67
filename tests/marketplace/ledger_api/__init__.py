"""The ledger through the API: fees, escrow, bonuses, statements, payouts, deposits (DESIGN.md
"Money")."""
