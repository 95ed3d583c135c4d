"""The model card's sections, one builder each (or one small module for a few that belong together).

Every builder takes the record's :class:`~reports._sections.context.CardContext` and returns its section as
plain data; :func:`reports._card_data.build_card_data` runs them in the card's order. A builder reads the kind
of target through ``ctx.view`` (:mod:`reports._kinds`), never by comparing task names.
"""
