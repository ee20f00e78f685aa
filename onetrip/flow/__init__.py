"""Flow (按责转办、限时办结): the workflow engine. The pure core lives in `onetrip.flow.engine` (no Django);
persistence maps its instances and events to rows."""
