"""Dashboard pages, one module per page, each with a ``render()`` function that draws the page.

``st.navigation`` in ``dashboard/app.py`` runs a page's file as a script, whose last line calls its
``render()``; importing the module draws nothing.

Deliberately not named ``pages/``: a ``pages`` folder beside the entry script switches
Streamlit into its legacy multipage mode, where the entry script (the sidebar run
picker) is skipped on every page but the first.
"""
