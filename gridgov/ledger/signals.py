"""What the ledger tells the apps above it (they connect from their ``AppConfig.ready``; the ledger imports
none of them).

``resident_moved_out(sender=Resident, resident, by, on)`` is sent inside the move-out's transaction: a
receiver that raises undoes the move-out, so what hangs on the resident (a party membership, the households
a member looks after) never points at someone who has left.
"""

from __future__ import annotations

from django.dispatch import Signal

resident_moved_out = Signal()
