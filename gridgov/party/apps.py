from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyConfig(AppConfig):
    name = "gridgov.party"
    label = "party"
    verbose_name = _("党建引领")

    def ready(self) -> None:
        from gridgov.ledger.models import Resident
        from gridgov.ledger.sections import (
            HouseholdSection,
            register_contact_source,
            register_household_section,
        )
        from gridgov.ledger.signals import resident_moved_out
        from gridgov.party import actions, elements, selectors

        # A member's move-out in the ledger ends the membership and hands their households over.
        resident_moved_out.connect(
            actions.on_resident_moved_out, sender=Resident, dispatch_uid="party.moved_out"
        )
        # The household page names the contact and the chain above it; the visit worklist, the contact.
        register_household_section(
            HouseholdSection(
                key="party_contact",
                title=_("包联党员与五级包联"),
                template="party/_household_chain.html",
                context=lambda user, household: {"chain": selectors.chain_of(household)},
                order=5,
            )
        )
        register_contact_source(selectors.contact_labels)
        elements.register()
