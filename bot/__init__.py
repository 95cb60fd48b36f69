"""The Telegram bot: Isnad's answers in private chats, groups and inline mode.

``isnad.bot.app.run_bot`` is what ``isnad bot`` calls; ``isnad.bot.app.build_application``
is the Application with its handlers. Nothing is imported here, so importing a part
(render, store) does not load python-telegram-bot's Application or the engine.
"""
