"""`@listSize` (Apollo Federation 2.9+, the IBM/Apollo cost specification) for the shop's list
fields, so the router's demand control knows how many items a list can hold: `first` slices a
connection and sizes its `edges` and `nodes`; other lists declare an assumed size."""

from __future__ import annotations

from typing import ClassVar, Optional

from strawberry import directive_field
from strawberry.federation.schema_directives import FederationDirective, ImportedFrom
from strawberry.federation.versions import FederationVersion
from strawberry.schema_directive import Location, schema_directive
from strawberry.types.unset import UNSET


@schema_directive(locations=[Location.FIELD_DEFINITION], name="listSize", print_definition=False)
class ListSize(FederationDirective):
    assumed_size: Optional[int] = directive_field(name="assumedSize", default=UNSET)
    slicing_arguments: Optional[list[str]] = directive_field(name="slicingArguments", default=UNSET)
    sized_fields: Optional[list[str]] = directive_field(name="sizedFields", default=UNSET)
    require_one_slicing_argument: Optional[bool] = directive_field(name="requireOneSlicingArgument", default=UNSET)
    imported_from: ClassVar[ImportedFrom] = ImportedFrom(name="listSize", url="https://specs.apollo.dev/federation/v2.9")
    minimum_version: ClassVar[FederationVersion] = (2, 9)


def connection(max_page: int) -> ListSize:
    """A connection paged by `first` (at most `max_page`): its edges and nodes are that many."""
    return ListSize(assumed_size=max_page, slicing_arguments=["first"], sized_fields=["edges", "nodes"],
                    require_one_slicing_argument=False)
